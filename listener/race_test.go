//go:build linux && race

package listener

// raceSlowdown widens time limits under the race detector.
const raceSlowdown = 5
