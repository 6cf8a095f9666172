//! napi-rs glue for the Node package (feature `node`). Thin: converts types, maps errors, adapts JS stores.
