package api

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
)

// digestLength is how many hex digits of the answer's SHA-256 an expert's GET ETag carries:
// 64 bits, plenty to tell two answers about one expert apart.
const digestLength = 16

// expertViewETag is the entity tag of GET /experts/{id}'s answer: the expert's version and a
// digest of the answer itself, such as "3-9f86d081884c7d65". The version alone does not
// validate the answer: adding a policy or confirming a booking changes the answer and not the
// expert's version, and whether a policy covers today changes at midnight. A client that
// revalidates with If-None-Match therefore gets 304 only for the very answer it holds, and PUT
// /experts/{id} takes the tag in If-Match by its version (preconditionOf).
func expertViewETag(version int, body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + strconv.Itoa(version) + "-" + hex.EncodeToString(sum[:])[:digestLength] + `"`
}

// versionOfTag reads the version of an entity tag's opaque part without its quotes: a bare
// version ("3", as PUT answers) or the version and digest of a GET answer ("3-9f86d081884c7d65").
func versionOfTag(tag string) (int, bool) {
	version, digest, composite := strings.Cut(tag, "-")
	if composite && (len(digest) != digestLength || strings.Trim(digest, "0123456789abcdef") != "") {
		return 0, false
	}
	if version == "" || strings.Trim(version, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(version)
	if err != nil {
		return 0, false
	}
	return n, true
}

// noneMatch evaluates If-None-Match for a GET whose answer has the entity tag etag (RFC 9110,
// 13.1.2): true, so that the answer is 304 Not Modified, when the header is "*" (the resource
// exists) or lists a tag equal to etag by the weak comparison (W/ on either side is ignored).
// Every If-None-Match line counts. A malformed member matches nothing, and the rest of the
// line is still read from the next comma on.
func noneMatch(h http.Header, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for _, line := range h.Values("If-None-Match") {
		for _, tag := range entityTags(line) {
			if tag == "*" || strings.TrimPrefix(tag, "W/") == want {
				return true
			}
		}
	}
	return false
}

// entityTags splits an If-None-Match line into its members: "*", or entity tags
// ([W/]"opaque", where the opaque part may hold commas). Malformed members are left out.
func entityTags(line string) []string {
	var tags []string
	blank := func(c byte) bool { return c == ' ' || c == '\t' }
	for i := 0; i < len(line); {
		if blank(line[i]) || line[i] == ',' {
			i++
			continue
		}
		start, ok := i, false
		if line[i] == '*' {
			i, ok = i+1, true
		} else {
			if strings.HasPrefix(line[i:], "W/") {
				i += 2
			}
			if i < len(line) && line[i] == '"' {
				if end := strings.IndexByte(line[i+1:], '"'); end >= 0 {
					ok = validOpaque(line[i+1 : i+1+end])
					i += end + 2
				} else {
					i = len(line)
				}
			}
		}
		member := line[start:i]
		// A member ends at a comma or at the end of the line; anything else spoils it, up to
		// the next comma.
		for i < len(line) && blank(line[i]) {
			i++
		}
		if i < len(line) && line[i] != ',' {
			ok = false
			if comma := strings.IndexByte(line[i:], ','); comma >= 0 {
				i += comma
			} else {
				i = len(line)
			}
		}
		if ok {
			tags = append(tags, member)
		}
	}
	return tags
}

// validOpaque reports whether s is made of etagc characters (RFC 9110, 8.8.3): visible ASCII but
// the double quote, or obs-text.
func validOpaque(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c == 0x7f || c == '"' {
			return false
		}
	}
	return true
}
