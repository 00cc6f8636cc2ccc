package guest

// The x86-64 (`syscall`) system-call table, by number (asm/unistd_64.h).
// Argument kinds as in linux_i386.go.

// sysEntry describes one implemented system call.
type sysEntry struct {
	// fn runs the call and returns its result or -errno.
	fn func(k *Linux, s *sysCall) int64
	// args are the argument kinds for --strace, one byte per argument.
	args string
	// ret is the result's --strace format: 'x' hex, otherwise decimal.
	ret byte
	// exits marks exit and exit_group, traced before they run.
	exits bool
}

var amd64Table = [...]sysEntry{
	0:   {fn: sysRead, args: "drd"},
	1:   {fn: sysWrite, args: "dbd"},
	2:   {fn: sysOpen, args: "sxo"},
	3:   {fn: sysClose, args: "d"},
	4:   {fn: sysStat, args: "sp"},
	5:   {fn: sysFstat, args: "dp"},
	6:   {fn: sysLstat, args: "sp"},
	8:   {fn: sysLseek, args: "dld"},
	9:   {fn: sysMmap, args: "xuxxdx", ret: 'x'},
	10:  {fn: sysMprotect, args: "xux"},
	11:  {fn: sysMunmap, args: "xu"},
	12:  {fn: sysBrk, args: "x", ret: 'x'},
	13:  {fn: sysRtSigaction, args: "dppu"},
	14:  {fn: sysRtSigprocmask, args: "dppu"},
	16:  {fn: sysIoctl, args: "dxx"},
	17:  {fn: sysPread64, args: "dpdl"},
	19:  {fn: sysReadv, args: "dpd"},
	20:  {fn: sysWritev, args: "dpd"},
	21:  {fn: sysAccess, args: "so"},
	22:  {fn: sysPipe, args: "p"},
	25:  {fn: sysMremap, args: "xuuxx", ret: 'x'},
	28:  {fn: sysMadvise, args: "xud"},
	32:  {fn: sysDup, args: "d"},
	33:  {fn: sysDup2, args: "dd"},
	35:  {fn: sysNanosleep, args: "pp"},
	39:  {fn: sysGetpid},
	60:  {fn: sysExit, args: "d", exits: true},
	62:  {fn: sysKill, args: "dd"},
	63:  {fn: sysUname, args: "p"},
	72:  {fn: sysFcntl, args: "ddx"},
	79:  {fn: sysGetcwd, args: "pu"},
	89:  {fn: sysReadlink, args: "spd"},
	96:  {fn: sysGettimeofday, args: "pp"},
	97:  {fn: sysGetrlimit, args: "dp"},
	102: {fn: sysGetuid},
	104: {fn: sysGetgid},
	107: {fn: sysGeteuid},
	108: {fn: sysGetegid},
	110: {fn: sysGetppid},
	131: {fn: sysSigaltstack, args: "pp"},
	158: {fn: sysArchPrctl, args: "xx"},
	186: {fn: sysGettid},
	200: {fn: sysTkill, args: "dd"},
	201: {fn: sysTime, args: "p"},
	218: {fn: sysSetTidAddress, args: "p"},
	228: {fn: sysClockGettime, args: "dp"},
	229: {fn: sysClockGetres, args: "dp"},
	230: {fn: sysClockNanosleep, args: "dxpp"},
	231: {fn: sysExit, args: "d", exits: true},
	234: {fn: sysTgkill, args: "ddd"},
	257: {fn: sysOpenat, args: "asxo"},
	262: {fn: sysNewfstatat, args: "aspx"},
	267: {fn: sysReadlinkat, args: "aspd"},
	269: {fn: sysFaccessat, args: "aso"},
	273: {fn: sysSetRobustList, args: "pu"},
	292: {fn: sysDup3, args: "ddx"},
	293: {fn: sysPipe2, args: "px"},
	302: {fn: sysPrlimit64, args: "ddpp"},
	318: {fn: sysGetrandom, args: "pux"},
	332: {fn: sysStatx, args: "asxxp"},
	334: {fn: sysNoSysQuiet, args: "pudx"},
}
