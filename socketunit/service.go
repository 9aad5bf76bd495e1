package socketunit

// Service is the part of a service unit that socket activation needs.
type Service struct {
	Name string // "echo.service" or the template "echo@.service"
	Path string

	Type            string // "simple" (default), "exec", "forking", "oneshot", "notify", "notify-reload", "idle", "dbus"
	ExecStartPre    []ExecCommand
	ExecStart       []ExecCommand
	ExecStartPost   []ExecCommand
	ExecReload      []ExecCommand
	ExecStop        []ExecCommand
	ExecStopPost    []ExecCommand
	Restart         string // "no" (default), "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"
	RestartSec      Timespan
	TimeoutStartSec Timespan
	TimeoutStopSec  Timespan
	RemainAfterExit bool
	Sockets         []string

	USBFunctionDescriptors string
	USBFunctionStrings     string

	Exec ExecContext
	Kill KillContext

	Unit    UnitSection
	Install InstallSection
}
