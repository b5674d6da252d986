package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/jsii-runtime-go"

	"github.com/fasttrack/fasttrack/functions/registry"
)

// alarmPeriod is the window every alarm sums over.
func alarmPeriod() awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(5)) }

// newOperations builds the alarms and the dashboard. Every alarm fires on the first event in a
// five-minute window (one failed activation matters) and treats missing data as fine (no
// traffic, no errors).
func newOperations(stack awscdk.Stack, out *StatelessStack, stateful *StatefulStack, stage Stage, set settings) {
	alarm := func(id, description string, metric awscloudwatch.IMetric) awscloudwatch.Alarm {
		created := awscloudwatch.NewAlarm(stack, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmName:          jsii.String(stage.prefix() + "-" + id),
			AlarmDescription:   jsii.String(description),
			Metric:             metric,
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		if set.alarmActions {
			created.AddAlarmAction(awscloudwatchactions.NewSnsAction(out.Alarms))
		} else {
			acknowledge(created, "cloudwatch_alarm_action_check",
				"Dev alarms notify nobody on purpose: they are visible in the console; prod alarms notify the alarm topic.")
		}
		return created
	}
	sum := &awscloudwatch.MetricOptions{Period: alarmPeriod(), Statistic: jsii.String("Sum")}

	machine := out.StateMachine
	alarm("ExecutionsFailed", "A fast-track execution failed (not a rejection or cancellation: those succeed).", machine.MetricFailed(sum))
	alarm("ExecutionsTimedOut", "A fast-track execution timed out.", machine.MetricTimedOut(sum))
	pastDeadline := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(registry.MetricsNamespace),
		MetricName:    jsii.String(registry.MetricApprovalTasksPastDeadline),
		DimensionsMap: &map[string]*string{registry.MetricDimensionStage: jsii.String(string(stage))},
		Period:        alarmPeriod(),
		Statistic:     jsii.String("Sum"),
	})
	alarm("ApprovalTasksPastDeadline", "An approval task was still open at its deadline and was escalated or expired.", pastDeadline)

	var invocations, errors, durations []awscloudwatch.IMetric
	for _, name := range sortedKeys(out.Functions) {
		function := out.Functions[name]
		id := logicalID(name)
		alarm(id+"Errors", "The "+name+" function returned errors or crashed.", function.MetricErrors(sum))
		alarm(id+"Throttles", "The "+name+" function was throttled.", function.MetricThrottles(sum))
		invocations = append(invocations, function.MetricInvocations(&awscloudwatch.MetricOptions{Period: alarmPeriod(), Label: jsii.String(name)}))
		errors = append(errors, function.MetricErrors(&awscloudwatch.MetricOptions{Period: alarmPeriod(), Label: jsii.String(name)}))
		durations = append(durations, function.MetricDuration(&awscloudwatch.MetricOptions{Period: alarmPeriod(), Statistic: jsii.String("p99"), Label: jsii.String(name)}))
	}

	var throttles []awscloudwatch.IMetric
	for _, declaration := range stateful.Declarations {
		table := stateful.Tables[declaration.Name]
		id := logicalID(declaration.Name)
		metrics := map[string]awscloudwatch.IMetric{
			"reads" + id:  table.Metric(jsii.String("ReadThrottleEvents"), sum),
			"writes" + id: table.Metric(jsii.String("WriteThrottleEvents"), sum),
		}
		throttled := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression:   jsii.String("FILL(reads" + id + ", 0) + FILL(writes" + id + ", 0)"),
			UsingMetrics: &metrics,
			Period:       alarmPeriod(),
			Label:        jsii.String(declaration.Name),
		})
		alarm(id+"TableThrottles", "Requests to the "+declaration.Name+" table were throttled.", throttled)
		throttles = append(throttles, throttled)
	}

	dashboard := awscloudwatch.NewDashboard(stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: jsii.String(stage.prefix()),
	})
	graph := func(title string, metrics []awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(title), Left: &metrics, Width: jsii.Number(12),
		})
	}
	dashboard.AddWidgets(
		graph("Executions", []awscloudwatch.IMetric{machine.MetricStarted(sum), machine.MetricSucceeded(sum),
			machine.MetricFailed(sum), machine.MetricTimedOut(sum), machine.MetricAborted(sum)}),
		graph("Approval tasks past deadline", []awscloudwatch.IMetric{pastDeadline}),
	)
	dashboard.AddWidgets(graph("Function invocations", invocations), graph("Function errors", errors))
	dashboard.AddWidgets(graph("Function duration p99", durations), graph("Table throttles", throttles))
}
