; Generic extraction query (see analysis/extract.py). An `impl` block is a class named after its type, so its
; methods are qualified by it.

(struct_item name: (type_identifier) @name body: (_)? @body) @definition.class
(enum_item name: (type_identifier) @name body: (_)? @body) @definition.class
(trait_item name: (type_identifier) @name body: (_) @body) @definition.class
(impl_item type: (type_identifier) @name body: (_) @body) @definition.class
(function_item name: (identifier) @name body: (_) @body) @definition.function
(function_signature_item name: (identifier) @name) @definition.function

(call_expression function: (identifier) @name) @reference.call
(call_expression function: (field_expression field: (field_identifier) @name)) @reference.call
(call_expression function: (scoped_identifier name: (identifier) @name)) @reference.call

(use_declaration argument: (_) @import.path)
(mod_item name: (identifier) @import.path !body)
