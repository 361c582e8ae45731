package profile

import _ "embed"

// Starter is the commented profile `crampd init` writes.
//
//go:embed starter.toml
var Starter string
