// Package jsonvalue fixes how the engine holds JSON: objects as *Object, which keeps its members
// in document order as Step Functions does, arrays as []any, strings, numbers as json.Number,
// bool and nil. Numbers stay json.Number so that their text survives a trip through a state
// machine unchanged, as it does on AWS (12000000 stays 12000000, 1.50 stays 1.50, and 64-bit
// integers keep every digit).
//
// Values are treated as immutable once decoded: every part of the engine that changes a document
// (ResultPath, Parameters, intrinsic functions) builds a new one and shares the untouched parts.
// That is what makes passing state from step to step cheap.
//
// Decode is a parser of its own, not encoding/json's reflection: it builds each array and object
// once at its final size and shares unescaped strings with the input, which makes it several
// times faster; it accepts exactly what encoding/json accepts (FuzzDecode checks that).
package jsonvalue
