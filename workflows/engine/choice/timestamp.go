package choice

// timestamp is an instant as seconds since the Unix epoch and nanoseconds within the second.
type timestamp struct {
	seconds int64
	nanos   int32
}

func (t timestamp) compare(u timestamp) int {
	switch {
	case t.seconds < u.seconds:
		return -1
	case t.seconds > u.seconds:
		return 1
	case t.nanos < u.nanos:
		return -1
	case t.nanos > u.nanos:
		return 1
	}
	return 0
}

// parseTimestamp reads the timestamps the developer guide admits in Choice rules: RFC 3339
// (2016-08-18T17:33:00Z, with optional fractional seconds and a numeric offset such as +01:00)
// with an uppercase T between date and time and an uppercase Z when there is no numeric offset.
// It checks the calendar (month lengths, leap years) and does not allocate, which time.Parse
// does for numeric offsets.
func parseTimestamp(s string) (timestamp, bool) {
	// 2006-01-02T15:04:05 is 19 characters, and a zone follows.
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return timestamp{}, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	second, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return timestamp{}, false
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59 {
		return timestamp{}, false
	}
	i := 19
	var nanos int64
	if s[i] == '.' {
		i++
		start := i
		scale := int64(100000000)
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			nanos += int64(s[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == start {
			return timestamp{}, false
		}
	}
	if i >= len(s) {
		return timestamp{}, false
	}
	var offset int64
	switch s[i] {
	case 'Z':
		i++
	case '+', '-':
		if len(s)-i != 6 || s[i+3] != ':' {
			return timestamp{}, false
		}
		offsetHours, okHours := digits(s[i+1 : i+3])
		offsetMinutes, okMinutes := digits(s[i+4 : i+6])
		if !okHours || !okMinutes || offsetHours > 23 || offsetMinutes > 59 {
			return timestamp{}, false
		}
		offset = int64(offsetHours*3600 + offsetMinutes*60)
		if s[i] == '-' {
			offset = -offset
		}
		i += 6
	default:
		return timestamp{}, false
	}
	if i != len(s) {
		return timestamp{}, false
	}
	seconds := daysFromCivil(int64(year), int64(month), int64(day))*86400 + int64(hour*3600+minute*60+second) - offset
	return timestamp{seconds: seconds, nanos: int32(nanos)}, true
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil counts the days from 1970-01-01 to a date of the proleptic Gregorian calendar
// (Howard Hinnant's algorithm).
func daysFromCivil(year, month, day int64) int64 {
	if month <= 2 {
		year--
	}
	era := year / 400
	if year < 0 && year%400 != 0 {
		era--
	}
	yearOfEra := year - era*400
	m := month + 9
	if month > 2 {
		m = month - 3
	}
	dayOfYear := (153*m+2)/5 + day - 1
	dayOfEra := yearOfEra*365 + yearOfEra/4 - yearOfEra/100 + dayOfYear
	return era*146097 + dayOfEra - 719468
}
