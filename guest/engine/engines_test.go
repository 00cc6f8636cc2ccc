package engine_test

// The engines the conformance suite can run on (-engine): importing a
// package registers its engine.
import _ "github.com/minemu/minemu/guest/interp"
