package guest

// The names cmd/minemu knows the Linux layer by, kept until the layer
// moves to its own package (guest/linux); remove them then.

// Linux is the Process.
type Linux = Process

// LinuxConfig is the ProcessConfig.
type LinuxConfig = ProcessConfig

// NewLinux is NewProcess.
func NewLinux(cfg LinuxConfig) (*Linux, error) { return NewProcess(cfg) }
