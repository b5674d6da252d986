package domain

import "strings"

// ListWords writes items for people: "finance", "finance and hr", "security, finance and hr".
// Messages and step details use it rather than Go's printing of a slice ("[finance hr]").
func ListWords[T ~string](items []T) string {
	words := make([]string, len(items))
	for i, item := range items {
		words[i] = string(item)
	}
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
