package vec

import "math/bits"

// POPCNT, LZCNT, TZCNT, BMI1, BMI2, ADX and MOVBE: scalar operations on
// general registers. Operands are the low size bytes of the values (size
// 2, 4 or 8); results are zero-extended to 64 bits (a 32-bit destination
// clears the upper half of the register, a 16-bit one must be merged by
// the caller). The returned flags replace all six status flags; the
// SDM leaves some of them undefined, and where it does this package
// returns what this project's reference host (AMD EPYC) leaves, noted at
// each function.

func sizeMask(size int) uint64 {
	if size == 8 {
		return ^uint64(0)
	}
	return 1<<(8*size) - 1
}

// Popcnt is popcnt: the number of set bits; ZF when the source is zero,
// the other status flags cleared.
func Popcnt(v uint64, size int) (uint64, uint32) {
	v &= sizeMask(size)
	if v == 0 {
		return 0, ZF
	}
	return uint64(bits.OnesCount64(v)), 0
}
