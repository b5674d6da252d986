package jsonvalue

import (
	"encoding/json"
	"slices"
)

// Member is one member of an object: a key and its value.
type Member struct {
	Key   string
	Value any
}

// Object is a JSON object that keeps its members in document order, as Step Functions does
// (Jackson's ObjectNode): a state's output lists its keys in the order they were written, and
// wildcards and deep scans visit members in that order.
//
// An Object is immutable once built and safe for concurrent use; every change (With) builds a
// new one and shares the values. Objects with more than indexThreshold members carry an index
// from key to position, so that a lookup stays O(1) however large the object; smaller ones are
// scanned, which is faster than hashing for a handful of keys. A nil *Object is the empty object.
type Object struct {
	members []Member
	index   map[string]int32
}

// indexThreshold is the size above which an object gets an index for lookups.
const indexThreshold = 12

// emptyObject is shared by every empty object the package builds.
var emptyObject = &Object{}

// EmptyObject returns the empty object {}. It is shared: like every Object, it is never changed.
func EmptyObject() *Object { return emptyObject }

// NewObject returns an object of the members in their order. The object takes the slice over:
// the caller must not change it afterwards. The keys must be distinct (a template's fields, names
// written in code); when they may repeat, use an ObjectBuilder, which keeps the first position
// and the last value of a repeated key.
func NewObject(members ...Member) *Object {
	if len(members) == 0 {
		return emptyObject
	}
	o := &Object{members: members}
	if len(members) > indexThreshold {
		o.index = make(map[string]int32, len(members))
		for i := range members {
			o.index[members[i].Key] = int32(i)
		}
	}
	return o
}

// Len is the number of members.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.members)
}

// Members returns the members in order. The slice belongs to the object: read it, never change
// it.
func (o *Object) Members() []Member {
	if o == nil {
		return nil
	}
	return o.members
}

// Keys returns the keys in order, in a new slice.
func (o *Object) Keys() []string {
	keys := make([]string, o.Len())
	for i, m := range o.Members() {
		keys[i] = m.Key
	}
	return keys
}

// find returns the position of key, or -1.
func (o *Object) find(key string) int {
	if o == nil {
		return -1
	}
	if o.index != nil {
		if i, ok := o.index[key]; ok {
			return int(i)
		}
		return -1
	}
	for i := range o.members {
		if o.members[i].Key == key {
			return i
		}
	}
	return -1
}

// Get returns the value of key, and whether the object has it.
func (o *Object) Get(key string) (any, bool) {
	if i := o.find(key); i >= 0 {
		return o.members[i].Value, true
	}
	return nil, false
}

// Has reports whether the object has key.
func (o *Object) Has(key string) bool { return o.find(key) >= 0 }

// With returns a new object: o with key set to value. An existing key keeps its place and takes
// the new value; a new key goes at the end (as ResultPath does on AWS). o is not changed.
func (o *Object) With(key string, value any) *Object {
	i := o.find(key)
	if i >= 0 {
		members := slices.Clone(o.members)
		members[i].Value = value
		return &Object{members: members, index: o.index}
	}
	members := make([]Member, o.Len()+1)
	copy(members, o.Members())
	members[len(members)-1] = Member{Key: key, Value: value}
	return NewObject(members...)
}

// ObjectBuilder builds an Object member by member. The zero value is ready to use; a builder
// must not be used again after Build.
type ObjectBuilder struct {
	members []Member
	index   map[string]int32
}

// NewObjectBuilder returns a builder with room for capacity members.
func NewObjectBuilder(capacity int) *ObjectBuilder {
	return &ObjectBuilder{members: make([]Member, 0, capacity)}
}

// Set adds a member at the end, or, when the key is already there, replaces its value in place
// (the first position and the last value win, as Jackson reads a repeated key).
func (b *ObjectBuilder) Set(key string, value any) {
	if b.index != nil {
		if i, ok := b.index[key]; ok {
			b.members[i].Value = value
			return
		}
		b.index[key] = int32(len(b.members))
		b.members = append(b.members, Member{Key: key, Value: value})
		return
	}
	for i := range b.members {
		if b.members[i].Key == key {
			b.members[i].Value = value
			return
		}
	}
	b.members = append(b.members, Member{Key: key, Value: value})
	if len(b.members) > indexThreshold {
		b.index = make(map[string]int32, 2*len(b.members))
		for i := range b.members {
			b.index[b.members[i].Key] = int32(i)
		}
	}
}

// Len is the number of members so far.
func (b *ObjectBuilder) Len() int { return len(b.members) }

// Build returns the object. The builder must not be used afterwards.
func (b *ObjectBuilder) Build() *Object {
	if len(b.members) == 0 {
		return emptyObject
	}
	o := &Object{members: b.members, index: b.index}
	b.members, b.index = nil, nil
	return o
}

// FromGo converts values built in Go with map[string]any (test fixtures, values read through
// encoding/json, DynamoDB attribute maps) into the package's values: every map becomes an
// Object with its keys in byte order (a Go map has no order of its own), recursively, also
// inside []any. Other values are returned as they are.
func FromGo(v any) any {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		members := make([]Member, len(keys))
		for i, k := range keys {
			members[i] = Member{Key: k, Value: FromGo(t[k])}
		}
		return NewObject(members...)
	case []any:
		var out []any
		for i, e := range t {
			c := FromGo(e)
			if out == nil {
				if sameShallow(c, e) {
					continue
				}
				out = slices.Clone(t)
			}
			out[i] = c
		}
		if out == nil {
			return t
		}
		return out
	case *Object:
		var out []Member
		for i, m := range t.Members() {
			c := FromGo(m.Value)
			if out == nil {
				if sameShallow(c, m.Value) {
					continue
				}
				out = slices.Clone(t.members)
			}
			out[i].Value = c
		}
		if out == nil {
			return t
		}
		return &Object{members: out, index: t.index}
	}
	return v
}

// sameShallow reports whether FromGo left a value as it was: only maps (and containers holding
// them) are converted, so a converted value is a new container.
func sameShallow(converted, original any) bool {
	switch original.(type) {
	case map[string]any:
		return false
	case []any, *Object:
		return sameContainer(converted, original)
	}
	return true
}

// ToGo converts a value into plain Go values: every Object becomes a map[string]any, losing its
// order. It is meant for tests and for code that hands values to encoding/json's reflection.
func ToGo(v any) any {
	switch t := v.(type) {
	case *Object:
		m := make(map[string]any, t.Len())
		for _, member := range t.Members() {
			m[member.Key] = ToGo(member.Value)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = ToGo(e)
		}
		return out
	}
	return v
}

// sameContainer reports whether two values are the same array or object (not merely equal).
func sameContainer(a, b any) bool {
	switch x := a.(type) {
	case *Object:
		y, ok := b.(*Object)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		return ok && len(x) == len(y) && cap(x) == cap(y) && (len(x) == 0 || &x[0] == &y[0])
	}
	return false
}

// Same reports whether two values are the same value without looking inside containers: the
// same Object or array (by identity), or equal scalars. It is cheap, and enough to see that a
// value was passed along unchanged.
func Same(a, b any) bool {
	switch x := a.(type) {
	case *Object, []any:
		return sameContainer(a, b)
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	}
	return false
}
