// Package version holds sockvisor's release, the one string every --version prints.
//
// Typical use:
//
//	fmt.Printf("sockvisor %s\n", version.Release)
package version

// Release is sockvisor's version.
const Release = "0.1.0"
