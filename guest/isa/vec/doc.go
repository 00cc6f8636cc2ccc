// Package vec holds the semantics of the x86 vector and bit-manipulation
// instructions as pure functions over register values.
package vec
