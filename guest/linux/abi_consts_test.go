package linux

// Kernel numbers the tests pass (guest/linux/filecall's and
// guest/linux/memcall's calls use them).
const (
	// sysOLargefile is the kernel's O_LARGEFILE on x86 (the x86-64
	// userspace constant is 0).
	sysOLargefile = 0o100000
	// ioctlFIONREAD is asm-generic/ioctls.h's FIONREAD.
	ioctlFIONREAD = 0x541b
	// sizeofTermios is sizeof(struct termios) of TCGETS.
	sizeofTermios = 36
	// mlockOnfault is mlock2's MLOCK_ONFAULT.
	mlockOnfault = 1
	// mclOnfault is mlockall's MCL_ONFAULT.
	mclOnfault = 4
)
