package verify

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/constructs"
)

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"s3:*", "s3:PutObject", true},
		{"s3:Get*", "s3:PutObject", false},
		{"arn:aws:s3:::b/images/*", "arn:aws:s3:::b/images/*", true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/images/x", true},
		{"arn:aws:s3:::b", "arn:aws:s3:::b/images/*", false},
		{"dynamodb:getitem", "dynamodb:GetItem", true},
		{"*", "anything", true},
		{"a?c", "abc", true},
	}
	for _, tc := range tests {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %t, want %t", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestParsePolicy(t *testing.T) {
	want := []statement{{
		Sid: "S", Effect: "Deny", Principals: []string{"*"}, Actions: []string{"s3:*"},
		Resources:  []string{"arn:aws:s3:::b", "arn:aws:s3:::b/*"},
		Conditions: map[string]map[string][]string{"Bool": {"aws:securetransport": {"false"}}},
	}}
	tests := []struct{ name, doc string }{
		{"json", `{"Version":"2012-10-17","Statement":[{"Sid":"S","Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`},
		{"single statement", `{"Statement":{"Sid":"S","Effect":"Deny","Principal":"*","Action":["s3:*"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":false}}}}`},
		{"url-encoded", `%7B%22Statement%22%3A%5B%7B%22Sid%22%3A%22S%22%2C%22Effect%22%3A%22Deny%22%2C%22Principal%22%3A%22%2A%22%2C%22Action%22%3A%22s3%3A%2A%22%2C%22Resource%22%3A%5B%22arn%3Aaws%3As3%3A%3A%3Ab%22%2C%22arn%3Aaws%3As3%3A%3A%3Ab%2F%2A%22%5D%2C%22Condition%22%3A%7B%22Bool%22%3A%7B%22aws%3ASecureTransport%22%3A%22false%22%7D%7D%7D%5D%7D`},
		{"python repr", `{'Statement': [{'Sid': 'S', 'Effect': 'Deny', 'Principal': '*', 'Action': 's3:*', 'Resource': ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'], 'Condition': {'Bool': {'aws:SecureTransport': False}}}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parsePolicy(tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestAllowed(t *testing.T) {
	sts := []statement{{Effect: "Allow", Actions: []string{"s3:GetObject", "s3:PutObject"}, Resources: []string{"arn:aws:s3:::b/images/*"}}}
	if !allowed(sts, "s3:PutObject", "arn:aws:s3:::b/images/*") {
		t.Error("PutObject under images/ not allowed")
	}
	if allowed(sts, "s3:DeleteObject", "arn:aws:s3:::b/images/*") {
		t.Error("DeleteObject allowed")
	}
	if allowed(sts, "s3:GetObject", "arn:aws:s3:::b/other/*") {
		t.Error("GetObject outside images/ allowed")
	}
}

func TestInventoryFromStack(t *testing.T) {
	sys, err := constructs.New(constructs.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	rs := []StackResource{
		{LogicalID: "ImagesBucket", PhysicalID: "b", Type: "AWS::S3::Bucket"},
		{LogicalID: "ServerSecurityGroup1A2B3C4D", PhysicalID: "sg-1", Type: "AWS::EC2::SecurityGroup"},
		{LogicalID: "ServerSecurityGroupIngress", PhysicalID: "x", Type: "AWS::EC2::SecurityGroupIngress"},
		{LogicalID: "ServerGroup", PhysicalID: "acme-servers", Type: "AWS::AutoScaling::AutoScalingGroup"},
		{LogicalID: "ServerLaunchTemplate1A2B3C4D", PhysicalID: "lt-1", Type: "AWS::EC2::LaunchTemplate"},
		{LogicalID: "ServerGroupScaling", PhysicalID: "arn:aws:autoscaling:x", Type: "AWS::AutoScaling::ScalingPolicy"},
	}
	got := InventoryFromStack(sys, rs)
	want := map[constructs.ID]string{"ImagesBucket": "b", "ServerSecurityGroup": "sg-1", "ServerGroup": "acme-servers", "ServerLaunchTemplate": "lt-1"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

func TestInventoryFromTFState(t *testing.T) {
	sys, err := constructs.New(constructs.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	state := `{"version":4,"resources":[
	 {"mode":"managed","type":"aws_s3_bucket","name":"ImagesBucket","instances":[{"attributes":{"id":"b"}}]},
	 {"mode":"managed","type":"aws_s3_bucket_versioning","name":"ImagesBucket","instances":[{"attributes":{"id":"v"}}]},
	 {"mode":"managed","type":"aws_lb","name":"LoadBalancer","instances":[{"attributes":{"id":"x","arn":"arn:lb"}}]},
	 {"mode":"managed","type":"aws_autoscaling_group","name":"ServerGroup","instances":[{"attributes":{"id":"acme-servers","arn":"arn:asg"}}]},
	 {"mode":"managed","type":"aws_launch_template","name":"ServerLaunchTemplate","instances":[{"attributes":{"id":"lt-1","arn":"arn:lt"}}]},
	 {"mode":"data","type":"aws_s3_bucket","name":"Vpc","instances":[{"attributes":{"id":"no"}}]}]}`
	got, err := InventoryFromTFState(sys, []byte(state))
	if err != nil {
		t.Fatal(err)
	}
	want := map[constructs.ID]string{"ImagesBucket": "b", "LoadBalancer": "arn:lb", "ServerGroup": "acme-servers", "ServerLaunchTemplate": "lt-1"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}
