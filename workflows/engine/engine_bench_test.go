package engine

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// benchFlow is Pass, Choice, Parallel and Map work with no Task: what the engine itself costs.
const benchFlow = `{"StartAt":"Read","States":{
	"Read":{"Type":"Pass","Parameters":{"id.$":"$.order.id","region.$":"$.order.region","lines.$":"States.ArrayLength($.order.lines)","ref.$":"States.Format('{}-{}', $.order.region, $.order.id)"},"ResultPath":"$.summary","Next":"Route"},
	"Route":{"Type":"Choice","Choices":[
		{"And":[{"Variable":"$.order.tier","StringEquals":"gold"},{"Variable":"$.summary.lines","NumericGreaterThanEquals":5}],"Next":"Express"},
		{"Variable":"$.summary.region","StringMatches":"eu-*","Next":"Standard"}],"Default":"Standard"},
	"Express":{"Type":"Pass","Result":{"lane":"express","days":1},"ResultPath":"$.shipping","Next":"Checks"},
	"Standard":{"Type":"Pass","Result":{"lane":"standard","days":4},"ResultPath":"$.shipping","Next":"Checks"},
	"Checks":{"Type":"Parallel","Branches":[
		{"StartAt":"Credit","States":{"Credit":{"Type":"Choice","Choices":[{"Variable":"$.order.credit","NumericGreaterThan":1000,"Next":"CreditOk"}],"Default":"CreditReview"},
			"CreditOk":{"Type":"Pass","Parameters":{"check":"credit","ok":true},"End":true},"CreditReview":{"Type":"Pass","Parameters":{"check":"credit","ok":false},"End":true}}},
		{"StartAt":"Address","States":{"Address":{"Type":"Pass","Parameters":{"check":"address","country.$":"$.order.country"},"End":true}}},
		{"StartAt":"Fraud","States":{"Fraud":{"Type":"Pass","Parameters":{"check":"fraud","ok":true},"End":true}}}],
	 "ResultSelector":{"credit.$":"$[0].ok","address.$":"$[1].country"},"ResultPath":"$.checks","Next":"Price"},
	"Price":{"Type":"Map","ItemsPath":"$.order.lines","ItemSelector":{"line.$":"$$.Map.Item.Value","index.$":"$$.Map.Item.Index"},
	 "ItemProcessor":{"StartAt":"Line","States":{"Line":{"Type":"Pass","Parameters":{"sku.$":"$.line.sku","total.$":"States.MathAdd($.line.quantity, $.index)"},"Next":"Big"},
		"Big":{"Type":"Choice","Choices":[{"Variable":"$.total","NumericGreaterThan":5,"Next":"Large"}],"Default":"Small"},
		"Large":{"Type":"Pass","Result":"large","ResultPath":"$.size","End":true},"Small":{"Type":"Pass","Result":"small","ResultPath":"$.size","End":true}}},
	 "ResultPath":"$.priced","Next":"Done"},
	"Done":{"Type":"Succeed","OutputPath":"$.checks"}}}`

func benchInput() string {
	var lines []string
	for i := 0; i < 10; i++ {
		lines = append(lines, fmt.Sprintf(`{"sku":"SKU-%03d","quantity":%d}`, i, i%4+1))
	}
	return `{"order":{"id":"A-1","region":"eu-west-1","tier":"gold","credit":2500,"country":"CH","lines":[` + strings.Join(lines, ",") + `]}}`
}

func runBenchmark(b *testing.B, opts Options) {
	opts.RetainClosed = 1000
	e, err := New(opts)
	if err != nil {
		b.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	sm, err := e.CreateStateMachine(ctx, CreateStateMachineInput{Name: "bench", Definition: benchFlow})
	if err != nil {
		b.Fatal(err)
	}
	input := benchInput()
	b.ReportAllocs()
	b.SetParallelism(32 / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			d, err := e.RunExecution(ctx, StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: &input})
			if err != nil || d.Status != StatusSucceeded {
				b.Errorf("%v %v", d, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "executions/s")
}

// BenchmarkFlowMemory runs a Pass/Choice/Parallel/Map machine (54 events an execution) in
// memory, 32 executions in flight.
func BenchmarkFlowMemory(b *testing.B) { runBenchmark(b, Options{}) }

// BenchmarkFlowDurable is the same with the journal, fsync on.
func BenchmarkFlowDurable(b *testing.B) { runBenchmark(b, Options{DataDir: b.TempDir()}) }
