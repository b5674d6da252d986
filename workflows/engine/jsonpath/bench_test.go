package jsonpath

import "testing"

func BenchmarkGet(b *testing.B) {
	doc := mustDecode(b, storeDoc)
	p := MustCompile("$.store.book[2].isbn")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := p.Get(doc); !ok {
			b.Fatal("no result")
		}
	}
}

func BenchmarkGetIndefinite(b *testing.B) {
	doc := mustDecode(b, storeDoc)
	p := MustCompile("$.store.book[*].author")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := p.Get(doc); !ok {
			b.Fatal("no result")
		}
	}
}

func BenchmarkGetFilter(b *testing.B) {
	doc := mustDecode(b, storeDoc)
	p := MustCompile("$.store.book[?(@.price < 10 && @.category == 'fiction')].title")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := p.Get(doc); !ok {
			b.Fatal("no result")
		}
	}
}

func BenchmarkGetDeepScan(b *testing.B) {
	doc := mustDecode(b, storeDoc)
	p := MustCompile("$..price")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := p.Get(doc); !ok {
			b.Fatal("no result")
		}
	}
}

func BenchmarkSet(b *testing.B) {
	doc := mustDecode(b, storeDoc)
	p := MustCompile("$.store.result")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Set(doc, "value"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile("$.store.book[?(@.price < 10)].title"); err != nil {
			b.Fatal(err)
		}
	}
}
