; Python extraction query. Capture names are the contract with analysis/pyextract.py:
;   @class / @function   definitions (the extractor reads name, body, superclasses from the node)
;   @call.name           the callee of a call to a plain name
;   @call.attr           the callee of a call to an attribute (`a.b.c(...)`)
;   @import              import statements (the extractor reads names, aliases and levels from the node)
;   @bind.<kind>         an identifier that binds a name in the enclosing scope
;   @bind.attr           an assignment to `<name>.<attr>` (kept when <name> is the method's first parameter)
;   @bind.with           the target of `with <expr> as <name>` (its value is taken to be <expr>'s)
;   @return.call / @return.value   what a `return` statement returns: a call to a name chain, or a name chain

(class_definition) @class
(function_definition) @function

(call function: (identifier) @call.name)
(call function: (attribute) @call.attr)

(import_statement) @import
(import_from_statement) @import

(assignment left: (identifier) @bind.assign)
(assignment left: [(pattern_list (identifier) @bind.unpack) (tuple_pattern (identifier) @bind.unpack)
                   (list_pattern (identifier) @bind.unpack)])
(assignment left: (attribute object: (identifier) attribute: (identifier)) @bind.attr)
(augmented_assignment left: (identifier) @bind.other)
(for_statement left: (identifier) @bind.other)
(for_statement left: [(pattern_list (identifier) @bind.other) (tuple_pattern (identifier) @bind.other)])
(for_statement left: (pattern_list (tuple_pattern (identifier) @bind.other)))
(for_in_clause left: (identifier) @bind.other)
(for_in_clause left: [(pattern_list (identifier) @bind.other) (tuple_pattern (identifier) @bind.other)])
(with_item value: (as_pattern alias: (as_pattern_target (identifier) @bind.with)))
(except_clause (as_pattern alias: (as_pattern_target (identifier) @bind.other)))
(case_pattern (as_pattern alias: (as_pattern_target (identifier) @bind.other)))
(named_expression name: (identifier) @bind.other)

(parameters (identifier) @bind.param)
(parameters (default_parameter name: (identifier) @bind.param))
(parameters (typed_parameter (identifier) @bind.param))
(parameters (typed_default_parameter name: (identifier) @bind.param))
(parameters (list_splat_pattern (identifier) @bind.param))
(parameters (dictionary_splat_pattern (identifier) @bind.param))
(parameters (typed_parameter (list_splat_pattern (identifier) @bind.param)))
(parameters (typed_parameter (dictionary_splat_pattern (identifier) @bind.param)))

(global_statement (identifier) @bind.global)
(nonlocal_statement (identifier) @bind.nonlocal)

(return_statement (call function: [(identifier) (attribute)] @return.call))
(return_statement [(identifier) (attribute)] @return.value)
