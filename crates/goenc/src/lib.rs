//! YAML and JSON as Helm's Go libraries read and write them: go-yaml v2's
//! YAML 1.1 scalar resolution, merge keys and emitter, sigs.k8s.io/yaml's
//! YAML → JSON → value path (every number a float64), and encoding/json's
//! output. The data model is [`serde_json::Value`]: a number that is a float
//! there is a Go `float64`, an integer is a Go integer.
#![forbid(unsafe_code)]
