package diff_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/diff"
)

// Hand-written inputs under examples/: the system written once as an HCL
// root module and once as a YAML template, and a lab-style pair with
// planted differences.
const (
	handTF  = "examples/handwritten/terraform"
	handCFN = "examples/handwritten/cloudformation/template.yaml"
	labTF   = "examples/lab/terraform"
	labCFN  = "examples/lab/template.yaml"
)

// readModule reads the .tf files of a module directory under the
// repository root, as `twinstack diff --tf DIR` does.
func readModule(t testing.TB, rel string) (diff.Input, func(string) ([]byte, error)) {
	t.Helper()
	dir := filepath.Join(moduleRoot(t), rel)
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .tf files in %s: %v", dir, err)
	}
	in := diff.Input{Path: rel}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		in.Files = append(in.Files, diff.Input{Path: filepath.Join(rel, filepath.Base(f)), Data: b})
	}
	return in, func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, name)) }
}

func readFile(t testing.TB, rel string) diff.Input {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return diff.Input{Path: rel, Data: b}
}

// TestHandwrittenTriangle: the hand-written HCL module and YAML template
// compare equivalent to each other and each to the other tool's synth
// output (count1 is the same configuration), in the region they deploy to
// — but for the open findings of that tool's renderer.
func TestHandwrittenTriangle(t *testing.T) {
	hcl, readFn := readModule(t, handTF)
	yaml := readFile(t, handCFN)
	synthTF, synthCFN := fixture(t, "count1")
	for _, tc := range []struct {
		name   string
		tf, cf diff.Input
		side   string // the synthesized side, whose open findings show
	}{
		{"hcl vs yaml", hcl, yaml, ""},
		{"hcl vs cdk template", hcl, synthCFN, "cloudformation"},
		{"cdktf json vs yaml", synthTF, yaml, "terraform"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := diff.RunWith(tc.tf, tc.cf, diff.Options{Region: "us-east-1", ReadFile: readFn})
			if err != nil {
				t.Fatal(err)
			}
			var want, got []string
			for _, f := range openFindings("count1") {
				if f.Side == tc.side {
					want = append(want, f.Kind+"/"+f.Property)
				}
			}
			for _, d := range r.Different {
				got = append(got, d.Kind+"/"+d.Property)
			}
			sort.Strings(want)
			sort.Strings(got)
			if d := cmp.Diff(want, got); d != "" || len(r.Unsupported)+len(r.OnlyTerraform)+len(r.OnlyCloudFormation) > 0 {
				var b strings.Builder
				_ = r.Write(&b, diff.Table)
				t.Errorf("differences but the open findings (-want +got):\n%s\n%s", d, b.String())
			}
			if len(r.Equal) < 20 {
				t.Errorf("only %d entities compared", len(r.Equal))
			}
		})
	}
}

// TestLabPlantedDifferences: the lab pair yields exactly the differences
// listed in examples/lab/PLANTED, each with a sentence and the places the
// entity is declared.
func TestLabPlantedDifferences(t *testing.T) {
	hcl, readFn := readModule(t, labTF)
	r, err := diff.RunWith(hcl, readFile(t, labCFN), diff.Options{ReadFile: readFn})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(moduleRoot(t), "examples", "lab", "PLANTED"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			want = append(want, l)
		}
	}
	var got []string
	for _, d := range r.Different {
		got = append(got, d.Kind+"|"+d.Key+"|"+d.Property)
		if d.Sentence == "" || len(d.TerraformAt) == 0 || len(d.CloudFormationAt) == 0 {
			t.Errorf("%s %s: sentence %q, at %v / %v", d.Key, d.Property, d.Sentence, d.TerraformAt, d.CloudFormationAt)
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("differences (-planted +reported):\n%s", diff)
	}
	if len(r.OnlyTerraform)+len(r.OnlyCloudFormation)+len(r.Unsupported) > 0 {
		t.Errorf("unexpected: only tf %v, only cfn %v, unsupported %v", r.OnlyTerraform, r.OnlyCloudFormation, r.Unsupported)
	}
	if r.Status != diff.Different {
		t.Errorf("status %s", r.Status)
	}
}

// TestHandwrittenTools: the hand-written Terraform passes the real
// terraform validate (AWS provider from the offline mirror) and the YAML
// templates pass cfn-lint without errors.
func TestHandwrittenTools(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: runs terraform and cfn-lint")
	}
	root := moduleRoot(t)
	t.Run("terraform validate", func(t *testing.T) {
		tf := requireTool(t, "terraform")
		rc := ""
		for _, p := range []string{os.Getenv("TF_CLI_CONFIG_FILE"), filepath.Join(root, ".terraformrc")} {
			if _, err := os.Stat(p); p != "" && err == nil {
				rc = p
				break
			}
		}
		if rc == "" {
			if os.Getenv("TWINSTACK_REQUIRE_TOOLS") == "1" {
				t.Fatal("no provider mirror configuration (make tfrc)")
			}
			t.Skip("no provider mirror configuration (make tfrc)")
		}
		for _, mod := range []string{handTF, labTF} {
			t.Run(mod, func(t *testing.T) {
				dir := t.TempDir()
				src := filepath.Join(root, mod)
				entries, err := os.ReadDir(src)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range entries {
					b, err := os.ReadFile(filepath.Join(src, e.Name()))
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				// The artifacts the module hashes, as `make build` leaves them.
				if err := os.MkdirAll(filepath.Join(dir, "build"), 0o755); err != nil {
					t.Fatal(err)
				}
				for _, f := range []string{"build/lambda.zip", "build/server-linux-amd64"} {
					if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
				defer cancel()
				env := append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
				for _, args := range [][]string{{"init", "-backend=false", "-input=false", "-no-color"}, {"validate", "-json", "-no-color"}} {
					cmd := exec.CommandContext(ctx, tf, args...)
					cmd.Dir, cmd.Env = dir, env
					out, err := cmd.CombinedOutput()
					if err != nil {
						t.Fatalf("terraform %s: %v\n%s", args[0], err, out)
					}
					if args[0] == "validate" {
						var res struct {
							Valid      bool `json:"valid"`
							ErrorCount int  `json:"error_count"`
						}
						if err := json.Unmarshal(out, &res); err != nil || !res.Valid || res.ErrorCount > 0 {
							t.Errorf("terraform validate: %v\n%s", err, out)
						}
					}
				}
			})
		}
	})
	t.Run("cfn-lint", func(t *testing.T) {
		bin := requireTool(t, "cfn-lint")
		for _, f := range []string{handCFN, labCFN} {
			cmd := exec.Command(bin, "--", filepath.Join(root, f))
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatal(err)
			}
			// Exit bits: 2 errors, 4 warnings, 8 informational.
			if code := cmd.ProcessState.ExitCode(); code&2 != 0 {
				t.Errorf("cfn-lint %s: exit %d\n%s", f, code, out)
			}
		}
	})
}

// TestSettingsOfOtherIssues: the settings the model gains elsewhere
// (lifecycle rules, TTL, reserved concurrency, IMDS hop limit, a backend
// "s3" block), written in each tool's own vocabulary, compare equal; the
// backend is ignored with its reason.
func TestSettingsOfOtherIssues(t *testing.T) {
	tf := diff.Input{Path: "m", Files: []diff.Input{{Path: "m/main.tf", Data: []byte(`
terraform {
  backend "s3" {
    bucket = "state"
    key    = "twinstack.tfstate"
  }
}
resource "aws_s3_bucket" "b" {
  bucket = "demo"
}
resource "aws_s3_bucket_lifecycle_configuration" "b" {
  bucket = aws_s3_bucket.b.id
  rule {
    id     = "abort-multipart"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
  rule {
    id     = "old-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
  }
}
resource "aws_dynamodb_table" "t" {
  name         = "images"
  hash_key     = "id"
  billing_mode = "PAY_PER_REQUEST"
  attribute {
    name = "id"
    type = "S"
  }
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }
}
resource "aws_instance" "i" {
  instance_type = "t3.micro"
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  tags = { Name = "server" }
}
resource "aws_lambda_function" "f" {
  function_name                  = "ingest"
  role                           = "arn:aws:iam::123456789012:role/x"
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  reserved_concurrent_executions = 20
}
`)}}}
	cf := diff.Input{Path: "t.yaml", Data: []byte(`
Resources:
  B:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: demo
      LifecycleConfiguration:
        Rules:
          - Id: AbortIncompleteMultipartUploads
            Status: Enabled
            AbortIncompleteMultipartUpload: {DaysAfterInitiation: 1}
          - Id: NoncurrentVersions
            Status: Enabled
            NoncurrentVersionExpiration: {NoncurrentDays: 30}
  T:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Delete
    Properties:
      TableName: images
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      TimeToLiveSpecification: {AttributeName: expires_at, Enabled: true}
  I:
    Type: AWS::EC2::Instance
    Properties:
      InstanceType: t3.micro
      MetadataOptions: {HttpTokens: required, HttpPutResponseHopLimit: 1}
      Tags: [{Key: Name, Value: server}]
  F:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: ingest
      Role: arn:aws:iam::123456789012:role/x
      Runtime: provided.al2023
      Handler: bootstrap
      ReservedConcurrentExecutions: 20
      Code: {ZipFile: "x"}
`)}
	r, err := diff.RunWith(tf, cf, diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != diff.Equivalent {
		var b strings.Builder
		_ = r.Write(&b, diff.Table)
		t.Fatal(b.String())
	}
	found := false
	for _, n := range r.Ignored {
		if n.Addr == "terraform" && strings.Contains(n.Reason, "backend s3") {
			found = true
		}
	}
	if !found {
		t.Errorf("backend not ignored with its reason: %v", r.Ignored)
	}
}

// TestLogGroups: a function's log group, named after the function on
// each side, pairs with its counterpart; a retention on either side (or
// the default, never expiring) is a difference.
func TestLogGroups(t *testing.T) {
	hcl := func(retention string) diff.Input {
		return diff.Input{Path: "m", Files: []diff.Input{{Path: "m/main.tf", Data: []byte(`
resource "aws_lambda_function" "f" {
  function_name = "ingest"
  role          = "arn:aws:iam::123456789012:role/x"
  runtime       = "provided.al2023"
  handler       = "bootstrap"
}
resource "aws_cloudwatch_log_group" "f" {
  name = "/aws/lambda/${aws_lambda_function.f.function_name}"
  ` + retention + `
}
`)}}}
	}
	yaml := func(retention string) diff.Input {
		return diff.Input{Path: "t.yaml", Data: []byte(`
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: ingest
      Role: arn:aws:iam::123456789012:role/x
      Runtime: provided.al2023
      Handler: bootstrap
      Code: {ZipFile: "x"}
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /aws/lambda/${Fn}
      ` + retention + `
`)}
	}
	for _, tc := range []struct {
		name         string
		tf, cf       diff.Input
		want         diff.Status
		tfRet, cfRet string
	}{
		{"equal", hcl("retention_in_days = 14"), yaml("RetentionInDays: 14"), diff.Equivalent, "", ""},
		{"terraform side", hcl("retention_in_days = 30"), yaml("RetentionInDays: 14"), diff.Different, "30 days", "14 days"},
		{"cloudformation default", hcl("retention_in_days = 14"), yaml(""), diff.Different, "14 days", "never expires"},
		{"terraform default", hcl(""), yaml("RetentionInDays: 7"), diff.Different, "never expires", "7 days"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := diff.RunWith(tc.tf, tc.cf, diff.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tc.want {
				t.Fatalf("%s: %v %v %v", r.Summary(), r.Different, r.OnlyTerraform, r.Unsupported)
			}
			if tc.want == diff.Different {
				if len(r.Different) != 1 || r.Different[0].Kind != "log-group" || r.Different[0].Property != "retention" ||
					r.Different[0].Terraform[0] != tc.tfRet || r.Different[0].CloudFormation[0] != tc.cfRet {
					t.Errorf("differences %+v", r.Different)
				}
			}
		})
	}
}

// TestKeyPairs: an aws_key_pair whose public key comes from a
// tls_private_key is a key pair generated at deploy, as a CloudFormation
// key pair without key material is; the instance's key is compared; the
// tls resource is ignored with its reason.
func TestKeyPairs(t *testing.T) {
	tf := func(material string) diff.Input {
		return diff.Input{Path: "m", Files: []diff.Input{{Path: "m/main.tf", Data: []byte(`
resource "tls_private_key" "admin" {
  algorithm = "ED25519"
}
resource "aws_key_pair" "admin" {
  key_name   = "admin"
  public_key = ` + material + `
}
resource "aws_instance" "web" {
  instance_type = "t3.micro"
  key_name      = aws_key_pair.admin.key_name
  tags          = { Name = "web" }
}
`)}}}
	}
	cf := func(material, key string) diff.Input {
		return diff.Input{Path: "t.yaml", Data: []byte(`
Resources:
  Admin:
    Type: AWS::EC2::KeyPair
    Properties:
      KeyName: admin
      ` + material + `
  Web:
    Type: AWS::EC2::Instance
    Properties:
      InstanceType: t3.micro
      KeyName: ` + key + `
      Tags: [{Key: Name, Value: web}]
`)}
	}
	for _, tc := range []struct {
		name   string
		tf, cf diff.Input
		want   []string
	}{
		{"generated on both", tf("tls_private_key.admin.public_key_openssh"), cf("", "!Ref Admin"), nil},
		{"imported vs generated", tf(`"ssh-ed25519 AAAA admin"`), cf("", "!Ref Admin"), []string{"key-pair|admin|public-key"}},
		{"instance without the key", tf("tls_private_key.admin.public_key_openssh"), cf("", "other"), []string{"instance|web|key-pair"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := diff.RunWith(tc.tf, tc.cf, diff.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range r.Different {
				got = append(got, d.Kind+"|"+d.Key+"|"+d.Property)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("differences (-want +got):\n%s", d)
			}
			if len(r.Unsupported)+len(r.OnlyTerraform)+len(r.OnlyCloudFormation) > 0 {
				t.Errorf("unsupported %v, only %v %v", r.Unsupported, r.OnlyTerraform, r.OnlyCloudFormation)
			}
			ignored := false
			for _, n := range r.Ignored {
				ignored = ignored || n.Addr == "tls_private_key.admin"
			}
			if !ignored {
				t.Errorf("tls_private_key not ignored: %v", r.Ignored)
			}
		})
	}
}

// TestInvokePermissions: the same permission written in each vocabulary
// (a public function URL) compares equal; its statement id is a label.
func TestInvokePermissions(t *testing.T) {
	tf := diff.Input{Path: "m", Files: []diff.Input{{Path: "m/main.tf", Data: []byte(`
resource "aws_lambda_function" "f" {
  function_name = "ingest"
  role          = "arn:aws:iam::123456789012:role/x"
  runtime       = "provided.al2023"
  handler       = "bootstrap"
}
resource "aws_lambda_function_url" "f" {
  function_name      = aws_lambda_function.f.function_name
  authorization_type = "NONE"
}
resource "aws_lambda_permission" "public_url" {
  statement_id           = "AllowPublicUrl"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.f.function_name
  principal              = "*"
  function_url_auth_type = "NONE"
}
`)}}}
	cf := diff.Input{Path: "t.yaml", Data: []byte(`
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: ingest
      Role: arn:aws:iam::123456789012:role/x
      Runtime: provided.al2023
      Handler: bootstrap
      Code: {ZipFile: "x"}
  Url:
    Type: AWS::Lambda::Url
    Properties:
      TargetFunctionArn: !GetAtt Fn.Arn
      AuthType: NONE
  PublicUrl:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunctionUrl
      FunctionName: !Ref Fn
      Principal: "*"
      FunctionUrlAuthType: NONE
`)}
	r, err := diff.RunWith(tf, cf, diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != diff.Equivalent {
		var b strings.Builder
		_ = r.Write(&b, diff.Table)
		t.Fatal(b.String())
	}
}

// TestVPCEndpoints: gateway and interface endpoints written in each
// vocabulary compare equal (route tables either way, the region symbolic
// on both sides); each property changed on either side is the difference
// reported.
func TestVPCEndpoints(t *testing.T) {
	const hcl = `
variable "region" { default = "eu-west-1" }
resource "aws_vpc" "v" { cidr_block = "10.0.0.0/16" }
resource "aws_vpc" "w" { cidr_block = "10.1.0.0/16" }
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.0.1.0/24"
}
resource "aws_subnet" "b" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.0.2.0/24"
}
resource "aws_route_table" "a" { vpc_id = aws_vpc.v.id }
resource "aws_route_table" "b" { vpc_id = aws_vpc.v.id }
resource "aws_route_table_association" "a" {
  subnet_id      = aws_subnet.a.id
  route_table_id = aws_route_table.a.id
}
resource "aws_route_table_association" "b" {
  subnet_id      = aws_subnet.b.id
  route_table_id = aws_route_table.b.id
}
resource "aws_security_group" "e" {
  name        = "endpoints"
  description = "x"
  vpc_id      = aws_vpc.v.id
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_security_group" "f" {
  name        = "other"
  description = "x"
  vpc_id      = aws_vpc.v.id
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_vpc_endpoint" "s3" {
  vpc_id          = aws_vpc.v.id
  service_name    = "com.amazonaws.${var.region}.s3"
  route_table_ids = [aws_route_table.a.id]
}
resource "aws_vpc_endpoint" "ssm" {
  vpc_id              = aws_vpc.v.id
  service_name        = "com.amazonaws.${var.region}.ssm"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = [aws_subnet.a.id]
  security_group_ids  = [aws_security_group.e.id]
  private_dns_enabled = true
}
`
	const yaml = `
Resources:
  V: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
  W: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.1.0.0/16}}
  A: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref V, CidrBlock: 10.0.1.0/24}}
  B: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref V, CidrBlock: 10.0.2.0/24}}
  RTA: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref V}}
  RTB: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref V}}
  AssocA: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref A, RouteTableId: !Ref RTA}}
  AssocB: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref B, RouteTableId: !Ref RTB}}
  E: {Type: AWS::EC2::SecurityGroup, Properties: {GroupName: endpoints, GroupDescription: x, VpcId: !Ref V}}
  F: {Type: AWS::EC2::SecurityGroup, Properties: {GroupName: other, GroupDescription: x, VpcId: !Ref V}}
  S3:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: !Ref V
      ServiceName: !Sub com.amazonaws.${AWS::Region}.s3
      RouteTableIds: [!Ref RTA]
  Ssm:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: !Ref V
      ServiceName: !Sub com.amazonaws.${AWS::Region}.ssm
      VpcEndpointType: Interface
      SubnetIds: [!Ref A]
      SecurityGroupIds: [!Ref E]
      PrivateDnsEnabled: true
`
	run := func(t *testing.T, h, y string) []string {
		t.Helper()
		r, err := diff.RunWith(diff.Input{Path: "m", Files: []diff.Input{{Path: "m/main.tf", Data: []byte(h)}}},
			diff.Input{Path: "t.yaml", Data: []byte(y)}, diff.Options{Region: "eu-west-1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Unsupported)+len(r.OnlyTerraform)+len(r.OnlyCloudFormation) > 0 {
			t.Fatalf("unsupported %v, only %v %v", r.Unsupported, r.OnlyTerraform, r.OnlyCloudFormation)
		}
		var got []string
		for _, d := range r.Different {
			got = append(got, d.Kind+"/"+d.Property)
		}
		return got
	}
	if got := run(t, hcl, yaml); len(got) > 0 {
		t.Fatalf("baseline differs: %v", got)
	}
	for _, tc := range []struct {
		prop     string
		side     string // "tf" or "cfn"
		from, to string
	}{
		{"service", "tf", `${var.region}.ssm"`, `${var.region}.ssmmessages"`},
		{"service", "cfn", `${AWS::Region}.ssm`, `${AWS::Region}.ssmmessages`},
		{"type", "tf", `"Interface"`, `"GatewayLoadBalancer"`},
		{"type", "cfn", `VpcEndpointType: Interface`, `VpcEndpointType: GatewayLoadBalancer`},
		{"vpc", "tf", "vpc_id              = aws_vpc.v.id", "vpc_id              = aws_vpc.w.id"},
		{"vpc", "cfn", "      VpcId: !Ref V\n      ServiceName: !Sub com.amazonaws.${AWS::Region}.ssm", "      VpcId: !Ref W\n      ServiceName: !Sub com.amazonaws.${AWS::Region}.ssm"},
		{"subnets", "tf", "[aws_subnet.a.id]", "[aws_subnet.b.id]"},
		{"subnets", "cfn", "SubnetIds: [!Ref A]", "SubnetIds: [!Ref B]"},
		{"security-groups", "tf", "[aws_security_group.e.id]", "[aws_security_group.f.id]"},
		{"security-groups", "cfn", "SecurityGroupIds: [!Ref E]", "SecurityGroupIds: [!Ref F]"},
		{"route-tables", "tf", "[aws_route_table.a.id]", "[aws_route_table.b.id]"},
		{"route-tables", "cfn", "RouteTableIds: [!Ref RTA]", "RouteTableIds: [!Ref RTB]"},
		{"private-dns", "tf", "private_dns_enabled = true", "private_dns_enabled = false"},
		{"private-dns", "cfn", "PrivateDnsEnabled: true", "PrivateDnsEnabled: false"},
		{"policy", "tf", `route_table_ids = [aws_route_table.a.id]`, `route_table_ids = [aws_route_table.a.id]
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = "*", Action = "s3:GetObject", Resource = "*" }] })`},
		{"policy", "cfn", "RouteTableIds: [!Ref RTA]", `RouteTableIds: [!Ref RTA]
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "*"}]}`},
	} {
		t.Run(tc.prop+"/"+tc.side, func(t *testing.T) {
			h, y := hcl, yaml
			if tc.side == "tf" {
				if !strings.Contains(h, tc.from) {
					t.Fatalf("no %q", tc.from)
				}
				h = strings.Replace(h, tc.from, tc.to, 1)
			} else {
				if !strings.Contains(y, tc.from) {
					t.Fatalf("no %q", tc.from)
				}
				y = strings.Replace(y, tc.from, tc.to, 1)
			}
			got := run(t, h, y)
			want := []string{"vpc-endpoint/" + tc.prop}
			if tc.prop == "service" {
				// A renamed service is a different endpoint, paired by the
				// properties it shares and reported by its service.
				want = []string{"vpc-endpoint/service"}
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// TestSymbolicInputs: a variable and a parameter without a value stay
// symbolic, and project_name is ProjectName: the names compare equal;
// a different input is a difference that names both.
func TestSymbolicInputs(t *testing.T) {
	tf := diff.Input{Path: "m", Files: []diff.Input{{Path: "m/main.tf", Data: []byte(`
variable "project_name" {
  type = string
}
variable "env" {
  type = string
}
resource "aws_dynamodb_table" "images" {
  name         = "${var.project_name}-images"
  hash_key     = "id"
  billing_mode = "PAY_PER_REQUEST"
  attribute {
    name = "id"
    type = "S"
  }
}
resource "aws_dynamodb_table" "albums" {
  name         = "${var.env}-albums"
  hash_key     = "id"
  billing_mode = "PAY_PER_REQUEST"
  attribute {
    name = "id"
    type = "S"
  }
}
`)}}}
	cf := diff.Input{Path: "t.yaml", Data: []byte(`
Parameters:
  ProjectName: {Type: String}
  Stage: {Type: String}
Resources:
  Images:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Delete
    Properties:
      TableName: !Sub ${ProjectName}-images
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
  Albums:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Delete
    Properties:
      TableName: !Sub ${Stage}-albums
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
`)}
	r, err := diff.RunWith(tf, cf, diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range r.Different {
		got = append(got, d.Property+": "+d.Terraform[0]+" / "+d.CloudFormation[0])
	}
	want := []string{"name: {input:env}-albums / {input:stage}-albums"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	if len(r.Equal) != 1 || r.Equal[0].Key != "{input:projectname}-images" {
		t.Errorf("equal: %+v", r.Equal)
	}
}

// TestHTTPAPI: an API Gateway HTTP API in front of the function, written
// in each vocabulary (testdata/handwritten/httpapi: invoke ARN against
// function ARN, execution_arn against an execute-api ARN built with
// !Sub), compares equal; each property changed on either side is the
// difference reported.
func TestHTTPAPI(t *testing.T) {
	dir := filepath.Join("testdata", "handwritten", "httpapi")
	hclB, err := os.ReadFile(filepath.Join(dir, "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	yamlB, err := os.ReadFile(filepath.Join(dir, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, h, y string) []string {
		t.Helper()
		r, err := diff.RunWith(diff.Input{Path: dir, Files: []diff.Input{{Path: "main.tf", Data: []byte(h)}}},
			diff.Input{Path: "template.yaml", Data: []byte(y)}, diff.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Unsupported)+len(r.OnlyTerraform)+len(r.OnlyCloudFormation) > 0 {
			t.Fatalf("unsupported %v, only %v %v", r.Unsupported, r.OnlyTerraform, r.OnlyCloudFormation)
		}
		var got []string
		for _, d := range r.Different {
			got = append(got, d.Kind+"/"+d.Property)
		}
		return got
	}
	hcl, yaml := string(hclB), string(yamlB)
	if got := run(t, hcl, yaml); len(got) > 0 {
		t.Fatalf("baseline differs: %v", got)
	}
	for _, tc := range []struct {
		want, side, from, to string
	}{
		{"http-api/name", "tf", `"images-api"`, `"photos-api"`},
		{"http-api/name", "cfn", "Name: images-api", "Name: photos-api"},
		{"http-api/protocol", "tf", `protocol_type = "HTTP"`, `protocol_type = "WEBSOCKET"`},
		{"http-api/protocol", "cfn", "ProtocolType: HTTP", "ProtocolType: WEBSOCKET"},
		{"http-api/routes", "tf", `"POST /images"`, `"PUT /images"`},
		{"http-api/routes", "cfn", "RouteKey: POST /images", "RouteKey: PUT /images"},
		{"http-api/routes", "tf", `payload_format_version = "2.0"`, `payload_format_version = "1.0"`},
		{"http-api/routes", "cfn", `PayloadFormatVersion: "2.0"`, `PayloadFormatVersion: "1.0"`},
		{"http-api/stages", "tf", "auto_deploy = true", "auto_deploy = false"},
		{"http-api/stages", "cfn", "AutoDeploy: true", "AutoDeploy: false"},
		{"function/invoke-permissions", "tf", `/*/*"`, `/GET/*"`},
		{"function/invoke-permissions", "cfn", `${Api}/*/*`, `${Api}/GET/*`},
	} {
		t.Run(tc.want+"/"+tc.side+"/"+tc.to, func(t *testing.T) {
			h, y := hcl, yaml
			src := &h
			if tc.side == "cfn" {
				src = &y
			}
			if !strings.Contains(*src, tc.from) {
				t.Fatalf("no %q", tc.from)
			}
			*src = strings.Replace(*src, tc.from, tc.to, 1)
			if d := cmp.Diff([]string{tc.want}, run(t, h, y)); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// TestVolumes: an EBS volume and its attachment (an aws_volume_attachment
// against an instance's Volumes list or an AWS::EC2::VolumeAttachment)
// compare equal; each property changed on either side is the difference.
func TestVolumes(t *testing.T) {
	const hcl = `
resource "aws_instance" "web" {
  instance_type = "t3.micro"
  tags          = { Name = "web" }
}
resource "aws_instance" "db" {
  instance_type = "t3.micro"
  tags          = { Name = "db" }
}
resource "aws_ebs_volume" "data" {
  availability_zone = "eu-west-1a"
  size              = 20
  type              = "gp3"
  encrypted         = true
  iops              = 3000
  throughput        = 125
}
resource "aws_volume_attachment" "data" {
  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.data.id
  instance_id = aws_instance.web.id
}
`
	inline := `
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      InstanceType: t3.micro
      Tags: [{Key: Name, Value: web}]
      Volumes: [{Device: /dev/sdf, VolumeId: !Ref Data}]
  Db:
    Type: AWS::EC2::Instance
    Properties:
      InstanceType: t3.micro
      Tags: [{Key: Name, Value: db}]
  Data:
    Type: AWS::EC2::Volume
    Properties: {AvailabilityZone: eu-west-1a, Size: 20, VolumeType: gp3, Encrypted: true, Iops: 3000, Throughput: 125}
`
	separate := strings.Replace(inline, "      Volumes: [{Device: /dev/sdf, VolumeId: !Ref Data}]\n", "", 1) + `  Attach:
    Type: AWS::EC2::VolumeAttachment
    Properties: {Device: /dev/sdf, VolumeId: !Ref Data, InstanceId: !Ref Web}
`
	run := func(t *testing.T, h, y string) []string {
		t.Helper()
		r, err := diff.RunWith(diff.Input{Path: "m", Files: []diff.Input{{Path: "main.tf", Data: []byte(h)}}},
			diff.Input{Path: "t.yaml", Data: []byte(y)}, diff.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Unsupported)+len(r.OnlyTerraform)+len(r.OnlyCloudFormation) > 0 {
			t.Fatalf("unsupported %v, only %v %v", r.Unsupported, r.OnlyTerraform, r.OnlyCloudFormation)
		}
		var got []string
		for _, d := range r.Different {
			got = append(got, d.Kind+"/"+d.Property)
		}
		return got
	}
	for _, y := range []string{inline, separate} {
		if got := run(t, hcl, y); len(got) > 0 {
			t.Fatalf("baseline differs: %v", got)
		}
	}
	for _, tc := range []struct{ prop, side, from, to string }{
		{"attached", "tf", `"/dev/sdf"`, `"/dev/sdg"`},
		{"attached", "cfn", "Device: /dev/sdf, VolumeId: !Ref Data, InstanceId: !Ref Web", "Device: /dev/sdf, VolumeId: !Ref Data, InstanceId: !Ref Db"},
		{"availability-zone", "tf", `"eu-west-1a"`, `"eu-west-1b"`},
		{"availability-zone", "cfn", "AvailabilityZone: eu-west-1a", "AvailabilityZone: eu-west-1b"},
		{"size", "tf", "= 20", "= 30"},
		{"size", "cfn", "Size: 20", "Size: 30"},
		{"type", "tf", `"gp3"`, `"io2"`},
		{"type", "cfn", "VolumeType: gp3", "VolumeType: io2"},
		{"encrypted", "tf", "encrypted         = true", "encrypted         = false"},
		{"encrypted", "cfn", "Encrypted: true", "Encrypted: false"},
		{"iops", "tf", "= 3000", "= 4000"},
		{"iops", "cfn", "Iops: 3000", "Iops: 4000"},
		{"throughput", "tf", "= 125", "= 250"},
		{"throughput", "cfn", "Throughput: 125", "Throughput: 250"},
	} {
		t.Run(tc.prop+"/"+tc.side, func(t *testing.T) {
			h, y := hcl, separate
			src := &h
			if tc.side == "cfn" {
				src = &y
			}
			if !strings.Contains(*src, tc.from) {
				t.Fatalf("no %q", tc.from)
			}
			*src = strings.Replace(*src, tc.from, tc.to, 1)
			if d := cmp.Diff([]string{"volume/" + tc.prop}, run(t, h, y)); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// TestInstances: a single EC2 instance (the model runs its servers in an
// Auto Scaling group; people still write instances) written in each
// vocabulary compares equal, also when CloudFormation takes its metadata
// options from a launch template of its own; each property changed on
// either side is the difference reported.
func TestInstances(t *testing.T) {
	const hcl = `
resource "aws_vpc" "v" { cidr_block = "10.0.0.0/16" }
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.0.1.0/24"
}
resource "aws_subnet" "b" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.0.2.0/24"
}
resource "aws_security_group" "web" {
  name        = "web"
  description = "x"
  vpc_id      = aws_vpc.v.id
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_security_group" "other" {
  name        = "other"
  description = "x"
  vpc_id      = aws_vpc.v.id
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_iam_role" "web" {
  name               = "web"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}
resource "aws_iam_instance_profile" "web" {
  name = "web"
  role = aws_iam_role.web.name
}
resource "aws_instance" "web" {
  ami                    = "ami-0123456789abcdef0"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.a.id
  vpc_security_group_ids = [aws_security_group.web.id]
  iam_instance_profile   = aws_iam_instance_profile.web.name
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  credit_specification {
    cpu_credits = "standard"
  }
  root_block_device {
    encrypted   = true
    volume_size = 8
    volume_type = "gp3"
  }
  user_data = <<-EOT
    #!/bin/bash
    aws s3 cp s3://artifacts/server /opt/server --region eu-west-1
    cat >/etc/server.env <<'ENV'
    Environment=PORT=8080
    ENV
    systemctl restart server
  EOT
  tags = { Name = "web" }
}
`
	const yaml = `
Resources:
  V: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
  A: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref V, CidrBlock: 10.0.1.0/24}}
  B: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref V, CidrBlock: 10.0.2.0/24}}
  Web: {Type: AWS::EC2::SecurityGroup, Properties: {GroupName: web, GroupDescription: x, VpcId: !Ref V}}
  Other: {Type: AWS::EC2::SecurityGroup, Properties: {GroupName: other, GroupDescription: x, VpcId: !Ref V}}
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: web
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]}
  Profile: {Type: AWS::IAM::InstanceProfile, Properties: {InstanceProfileName: web, Roles: [!Ref Role]}}
  Metadata:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateName: web-metadata
      LaunchTemplateData:
        MetadataOptions: {HttpEndpoint: enabled, HttpTokens: required, HttpPutResponseHopLimit: 1}
  Instance:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0123456789abcdef0
      InstanceType: t3.micro
      SubnetId: !Ref A
      SecurityGroupIds: [!GetAtt Web.GroupId]
      IamInstanceProfile: !Ref Profile
      LaunchTemplate: {LaunchTemplateId: !Ref Metadata, Version: !GetAtt Metadata.LatestVersionNumber}
      CreditSpecification: {CPUCredits: standard}
      BlockDeviceMappings: [{DeviceName: /dev/xvda, Ebs: {Encrypted: true, VolumeSize: 8, VolumeType: gp3}}]
      UserData:
        Fn::Base64: |
          #!/bin/bash
          aws s3 cp s3://artifacts/server /opt/server --region eu-west-1
          cat >/etc/server.env <<'ENV'
          Environment=PORT=8080
          ENV
          systemctl restart server
      Tags: [{Key: Name, Value: web}]
`
	run := func(t *testing.T, h, y string) []string {
		t.Helper()
		r, err := diff.RunWith(diff.Input{Path: "m", Files: []diff.Input{{Path: "main.tf", Data: []byte(h)}}},
			diff.Input{Path: "t.yaml", Data: []byte(y)}, diff.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Unsupported)+len(r.OnlyTerraform)+len(r.OnlyCloudFormation) > 0 {
			t.Fatalf("unsupported %v, only %v %v", r.Unsupported, r.OnlyTerraform, r.OnlyCloudFormation)
		}
		var got []string
		for _, d := range r.Different {
			got = append(got, d.Kind+"/"+d.Property)
		}
		return got
	}
	if got := run(t, hcl, yaml); len(got) > 0 {
		t.Fatalf("baseline differs: %v", got)
	}
	for _, tc := range []struct{ prop, side, from, to string }{
		{"name", "tf", `Name = "web"`, `Name = "api"`},
		{"name", "cfn", "Value: web}", "Value: api}"},
		{"type", "tf", `"t3.micro"`, `"t3.small"`},
		{"type", "cfn", "InstanceType: t3.micro", "InstanceType: t3.small"},
		{"ami", "tf", `ami                    = "ami-0123456789abcdef0"`, `ami                    = "ami-0fedcba9876543210"`},
		{"ami", "cfn", "ImageId: ami-0123456789abcdef0", "ImageId: ami-0fedcba9876543210"},
		{"subnet", "tf", "subnet_id              = aws_subnet.a.id", "subnet_id              = aws_subnet.b.id"},
		{"subnet", "cfn", "SubnetId: !Ref A", "SubnetId: !Ref B"},
		{"security-groups", "tf", "[aws_security_group.web.id]", "[aws_security_group.other.id]"},
		{"security-groups", "cfn", "[!GetAtt Web.GroupId]", "[!GetAtt Other.GroupId]"},
		{"profile", "tf", "aws_iam_instance_profile.web.name\n", "\"other\"\n"},
		{"profile", "cfn", "IamInstanceProfile: !Ref Profile", "IamInstanceProfile: other"},
		{"key-pair", "tf", `instance_type          = "t3.micro"`, "instance_type          = \"t3.micro\"\n  key_name = \"admin\""},
		{"key-pair", "cfn", "InstanceType: t3.micro", "InstanceType: t3.micro\n      KeyName: admin"},
		{"imds.tokens", "tf", `http_tokens                 = "required"`, `http_tokens                 = "optional"`},
		{"imds.tokens", "cfn", "HttpTokens: required", "HttpTokens: optional"},
		{"imds.endpoint", "tf", `http_endpoint               = "enabled"`, `http_endpoint               = "disabled"`},
		{"imds.endpoint", "cfn", "HttpEndpoint: enabled", "HttpEndpoint: disabled"},
		{"imds.hop-limit", "tf", "http_put_response_hop_limit = 1", "http_put_response_hop_limit = 2"},
		{"imds.hop-limit", "cfn", "HttpPutResponseHopLimit: 1", "HttpPutResponseHopLimit: 2"},
		{"cpu-credits", "tf", `cpu_credits = "standard"`, `cpu_credits = "unlimited"`},
		{"cpu-credits", "cfn", "CPUCredits: standard", "CPUCredits: unlimited"},
		{"root-volume.encrypted", "tf", "encrypted   = true", "encrypted   = false"},
		{"root-volume.encrypted", "cfn", "Encrypted: true", "Encrypted: false"},
		{"root-volume.size", "tf", "volume_size = 8", "volume_size = 16"},
		{"root-volume.size", "cfn", "VolumeSize: 8", "VolumeSize: 16"},
		{"root-volume.type", "tf", `volume_type = "gp3"`, `volume_type = "gp2"`},
		{"root-volume.type", "cfn", "VolumeType: gp3", "VolumeType: gp2"},
		{"root-volume.delete-on-termination", "tf", `volume_type = "gp3"`, "volume_type = \"gp3\"\n    delete_on_termination = false"},
		{"root-volume.delete-on-termination", "cfn", "VolumeType: gp3", "VolumeType: gp3, DeleteOnTermination: false"},
		{"user-data.fetch", "tf", "/opt/server --region", "/usr/local/bin/server --region"},
		{"user-data.fetch", "cfn", "/opt/server --region", "/usr/local/bin/server --region"},
		{"user-data.environment", "tf", "PORT=8080", "PORT=9090"},
		{"user-data.environment", "cfn", "PORT=8080", "PORT=9090"},
		{"user-data.script", "tf", "systemctl restart server", "systemctl start server"},
		{"user-data.script", "cfn", "systemctl restart server", "systemctl start server"},
	} {
		t.Run(tc.prop+"/"+tc.side, func(t *testing.T) {
			h, y := hcl, yaml
			src := &h
			if tc.side == "cfn" {
				src = &y
			}
			if !strings.Contains(*src, tc.from) {
				t.Fatalf("no %q", tc.from)
			}
			*src = strings.Replace(*src, tc.from, tc.to, 1)
			if d := cmp.Diff([]string{"instance/" + tc.prop}, run(t, h, y)); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}
