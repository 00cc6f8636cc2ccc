package linux

// The names the Linux tests, written before Linux became Process and
// Thread, know the process by.

// Linux is the Process.
type Linux = Process

// LinuxConfig is the ProcessConfig.
type LinuxConfig = ProcessConfig

// NewLinux is NewProcess.
func NewLinux(cfg LinuxConfig) (*Linux, error) { return NewProcess(cfg) }
