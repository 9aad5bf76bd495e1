package supervisor

// unitState is where a socket unit is in its life, with systemd's state names (a subset: the
// SIGTERM/SIGKILL sub-states of control processes are folded into their parent state).
type unitState uint8

// Unit states.
const (
	stateDead unitState = iota
	stateStartPre
	stateStartPost
	stateListening
	stateRunning
	stateStopPre
	stateStopPost
	stateFailed
)

var stateNames = [...]string{
	stateDead:      "dead",
	stateStartPre:  "start-pre",
	stateStartPost: "start-post",
	stateListening: "listening",
	stateRunning:   "running",
	stateStopPre:   "stop-pre",
	stateStopPost:  "stop-post",
	stateFailed:    "failed",
}

// String returns systemd's name of the state ("listening").
func (s unitState) String() string { return stateNames[s] }

// active reports whether the unit holds its fds and may activate (systemd: listening/running).
func (s unitState) active() bool { return s == stateListening || s == stateRunning }

// Results a unit ends with, systemd's names.
const (
	resultSuccess         = "success"
	resultResources       = "resources"
	resultTimeout         = "timeout"
	resultExitCode        = "exit-code"
	resultSignal          = "signal"
	resultCoreDump        = "core-dump"
	resultTriggerLimitHit = "trigger-limit-hit"
)
