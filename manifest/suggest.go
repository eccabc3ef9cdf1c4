package manifest

import "strings"

// maxSuggestLen bounds the words DidYouMean compares, so that a huge key costs nothing.
const maxSuggestLen = 64

// DidYouMean returns the candidate closest to word, or "" when none is close:
// a case-insensitive match, a Levenshtein distance of at most 1 for short
// words, 2 up to 8 characters and 3 beyond ("lifecyle" -> "lifecycle"), or
// else the shortest candidate that word (3 characters or more) begins
// ("prod" -> "production").
func DidYouMean(word string, candidates []string) string {
	if word == "" || len(word) > maxSuggestLen {
		return ""
	}
	lw := strings.ToLower(word)
	best, bestDist := "", -1

	for _, c := range candidates {
		if c == word || len(c) > maxSuggestLen {
			continue
		}
		lc := strings.ToLower(c)
		if lc == lw {
			return c
		}
		d := levenshtein(lw, lc)
		if d > allowedDistance(len(lw)) {
			continue
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	if best != "" || len(lw) < 3 {
		return best
	}
	for _, c := range candidates {
		if len(c) <= maxSuggestLen && strings.HasPrefix(strings.ToLower(c), lw) && (best == "" || len(c) < len(best)) {
			best = c
		}
	}
	return best
}

func allowedDistance(n int) int {
	switch {
	case n <= 4:
		return 1
	case n <= 8:
		return 2
	}
	return 3
}

// levenshtein is the edit distance between a and b, counted in bytes.
func levenshtein(a, b string) int {
	if len(a) < len(b) {
		a, b = b, a
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
