; Generic extraction query (see analysis/extract.py): @definition.class / @definition.function with @name and
; an optional @body (the header is the text before it), @reference.call with the callee's @name, @import.path.

(class_declaration name: (_) @name body: (_) @body) @definition.class
(class name: (_) @name body: (_) @body) @definition.class
(function_declaration name: (identifier) @name body: (_) @body) @definition.function
(generator_function_declaration name: (identifier) @name body: (_) @body) @definition.function
(method_definition name: (_) @name body: (_) @body) @definition.function
(variable_declarator
  name: (identifier) @name
  value: [(arrow_function body: (_) @body) (function_expression body: (_) @body)]) @definition.function

(call_expression function: (identifier) @name) @reference.call
(call_expression function: (member_expression property: (property_identifier) @name)) @reference.call
(new_expression constructor: (identifier) @name) @reference.call

(import_statement source: (string) @import.path)
(export_statement source: (string) @import.path)
((call_expression function: (identifier) @_require arguments: (arguments . (string) @import.path))
  (#eq? @_require "require"))

(abstract_class_declaration name: (_) @name body: (_) @body) @definition.class
(interface_declaration name: (_) @name body: (_) @body) @definition.class
(function_signature name: (identifier) @name) @definition.function
