// Package alu holds the semantics of the integer instructions whose flag
// rules are too irregular for the lazy record of guest/cpu (multiplies,
// divides, shifts, rotates, double shifts, bit scans and counts) as pure
// functions over operand values: an engine reads the operands, calls one
// function here and writes the result and the flags back, as it does with
// guest/isa/vec for the vector instructions. The package touches no
// memory and keeps no state.
//
// Values are passed and returned masked to the operand size in bytes (1,
// 2, 4 or 8). Flags are RFLAGS bits (cpu.FlagCF, ...): the functions that
// define every status flag return them all; those that change only some
// (rotates, lzcnt, tzcnt) take the old flags and return the new ones.
// Flags the manuals call undefined get a fixed, documented choice (see
// each function), the one the engines' differential tests pin against
// the host where the host is consistent.
package alu
