package socketunit

import "strings"

// sortedKeys is the key table sorted by section and name, built once.
var sortedKeys = Keys()

// maxSuggestions bounds the suggestions per unit, so that a file of junk stays cheap.
const maxSuggestions = 20

// suggestKey returns the key of section closest to an unknown one — same name in another case,
// or at most two edits away — or "" when nothing is close.
func suggestKey(section, key string) string {
	sec := sectionByName(section)
	best, bestDist := "", 3
	for _, k := range sortedKeys { // sorted: ties go to the first name
		if k.Sections&sec == 0 {
			continue
		}
		if strings.EqualFold(k.Name, key) {
			return k.Name
		}
		if d := editDistance(strings.ToLower(k.Name), strings.ToLower(key), bestDist); d < bestDist {
			best, bestDist = k.Name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, or limit when it is at least limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}
