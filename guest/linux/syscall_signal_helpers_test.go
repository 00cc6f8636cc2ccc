package linux

import "github.com/minemu/minemu/guest/linux/signal"

// Names the older tests use for dispositions and sigaltstack flags.
const (
	sigDFL    = signal.SIG_DFL
	sigIGN    = signal.SIG_IGN
	ssDisable = 2
)

// signalHandlerNames are the signal calls' handlers and the names of the
// calls each serves (TestTablesMatchNames).
var signalHandlerNames = map[string][]string{
	"sysPause": {"pause"}, "sysSignal": {"signal"}, "sysSigaction": {"sigaction"},
	"sysSigsuspend": {"sigsuspend"}, "sysSigpending": {"sigpending"}, "sysSigreturn": {"sigreturn"},
	"sysSigprocmask": {"sigprocmask"}, "sysRtSigreturn": {"rt_sigreturn"}, "sysRtSigpending": {"rt_sigpending"},
	"sysRtSigtimedwait": {"rt_sigtimedwait"}, "sysRtSigqueueinfo": {"rt_sigqueueinfo"},
	"sysRtSigsuspend": {"rt_sigsuspend"}, "sysRtTgsigqueueinfo": {"rt_tgsigqueueinfo"},
	"sysRtSigtimedwait64": {"rt_sigtimedwait_time64"},
}
