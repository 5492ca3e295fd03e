; Generic extraction query (see analysis/extract.py).

(function_declaration name: (identifier) @name body: (_)? @body) @definition.function
(method_declaration name: (field_identifier) @name body: (_)? @body) @definition.function
(type_spec name: (type_identifier) @name type: [(struct_type) (interface_type)] @body) @definition.class

(call_expression function: (identifier) @name) @reference.call
(call_expression function: (selector_expression field: (field_identifier) @name)) @reference.call

(import_spec path: (_) @import.path)
