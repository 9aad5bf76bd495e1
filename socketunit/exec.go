package socketunit

// ExecCommand is one command of an Exec*= setting, after systemd's command-line parsing
// (config_parse_exec): prefixes decoded, quoting and escapes resolved. $VAR and ${VAR}
// expansion happens when the command runs, not here.
type ExecCommand struct {
	Path          string   // the executable: an absolute path, or a name looked up in PATH at run time
	Argv          []string // argv, argv[0] included
	IgnoreFailure bool     // "-": a failure counts as success
	ArgvZero      bool     // "@": Argv[0] was given explicitly and differs from Path
	NoEnvExpand   bool     // ":": no $VAR expansion
	Privileged    bool     // "+": run with full privileges (User=/Group= not applied)
	AmbientOnly   bool     // "!" / "!!": privileges via ambient capabilities only
	Source        Location
}

// StdioSpec is a StandardInput=/StandardOutput=/StandardError= value: a kind such as "null",
// "inherit", "socket", "journal", "tty", "fd", or "file"/"append"/"truncate" with a Path.
type StdioSpec struct {
	Kind string
	Path string // for file:, append:, truncate:; the fd name for fd:
}

// EnvironmentFile is one EnvironmentFile= entry.
type EnvironmentFile struct {
	Path     string
	Optional bool // "-" prefix: a missing file is not an error
}

// ExecContext holds the exec settings (systemd.exec(5)) that sockvisor applies when it starts
// a process. Keys systemd accepts but sockvisor does not apply are only recorded as findings.
type ExecContext struct {
	User                string
	Group               string
	SupplementaryGroups []string
	Environment         []string // "KEY=VALUE", in order
	EnvironmentFiles    []EnvironmentFile
	PassEnvironment     []string
	UnsetEnvironment    []string
	WorkingDirectory    string // "~" = the user's home
	WorkingDirectoryOpt bool   // "-" prefix: a missing directory is not an error
	UMask               uint32 // default 0022
	StandardInput       StdioSpec
	StandardOutput      StdioSpec
	StandardError       StdioSpec
	Nice                *int
	LimitNOFILE         *[2]uint64 // soft, hard
}

// KillContext holds the kill settings (systemd.kill(5)).
type KillContext struct {
	KillMode        string // "control-group" (default), "mixed", "process", "none"
	KillSignal      int    // default SIGTERM
	FinalKillSignal int    // default SIGKILL
	SendSIGKILL     bool   // default true
	SendSIGHUP      bool
}

// UnitSection holds the [Unit] settings sockvisor reads; dependencies are kept as written.
type UnitSection struct {
	Description         string
	Documentation       []string
	Deps                map[string][]string // "Requires", "Wants", "After", "Before", "BindsTo", "Conflicts", …
	DefaultDependencies bool                // default true
	StopWhenUnneeded    bool
}

// InstallSection holds the [Install] settings.
type InstallSection struct {
	WantedBy   []string
	RequiredBy []string
	Also       []string
	Alias      []string
}
