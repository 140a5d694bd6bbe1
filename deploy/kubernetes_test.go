package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/fieldlink/fieldlink/httpapi"
	"github.com/fieldlink/fieldlink/internal/pgtest"
)

// kubernetesDir holds the Kubernetes manifests.
const kubernetesDir = "kubernetes"

// kustomization is the part of a kustomization.yaml the manifests use.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
}

// manifests are the objects of every YAML file in kubernetesDir.
type manifests struct {
	deployments   []*appsv1.Deployment
	services      []*corev1.Service
	budgets       []*policyv1.PodDisruptionBudget
	secrets       []*corev1.Secret
	jobs          []*batchv1.Job
	kustomization *kustomization
	// files are the YAML file names, without the folder.
	files []string
	// jobFiles are the names of the files that hold a Job.
	jobFiles map[string]bool
}

// loadManifests decodes every document of every YAML file in kubernetesDir
// into its Kubernetes type, rejecting fields the type does not have.
func loadManifests(t *testing.T) *manifests {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(kubernetesDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatalf("no YAML files in %s", kubernetesDir)
	}

	m := &manifests{jobFiles: map[string]bool{}}
	for _, name := range names {
		m.files = append(m.files, filepath.Base(name))
		docs, err := splitYAML(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range docs {
			jobs := len(m.jobs)
			if err := m.add(doc); err != nil {
				t.Errorf("%s, document %d: %v", name, i+1, err)
			}
			if len(m.jobs) > jobs {
				m.jobFiles[filepath.Base(name)] = true
			}
		}
	}
	return m
}

// splitYAML returns each document of a YAML file as YAML.
func splitYAML(name string) ([][]byte, error) {
	raw, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var docs [][]byte
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var node yaml.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		doc, err := yaml.Marshal(&node)
		if err != nil {
			return nil, err
		}
		docs = append(docs, doc)
	}
}

// add decodes one document by its kind.
func (m *manifests) add(doc []byte) error {
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := sigsyaml.Unmarshal(doc, &meta); err != nil {
		return err
	}

	var target any
	switch meta.APIVersion + " " + meta.Kind {
	case "apps/v1 Deployment":
		d := &appsv1.Deployment{}
		m.deployments = append(m.deployments, d)
		target = d
	case "v1 Service":
		s := &corev1.Service{}
		m.services = append(m.services, s)
		target = s
	case "policy/v1 PodDisruptionBudget":
		b := &policyv1.PodDisruptionBudget{}
		m.budgets = append(m.budgets, b)
		target = b
	case "v1 Secret":
		s := &corev1.Secret{}
		m.secrets = append(m.secrets, s)
		target = s
	case "batch/v1 Job":
		j := &batchv1.Job{}
		m.jobs = append(m.jobs, j)
		target = j
	case "kustomize.config.k8s.io/v1beta1 Kustomization":
		m.kustomization = &kustomization{}
		target = m.kustomization
	default:
		return fmt.Errorf("unexpected kind %q of API version %q", meta.Kind, meta.APIVersion)
	}
	return sigsyaml.UnmarshalStrict(doc, target)
}

// onlyDeployment returns the single Deployment and its fieldlink container.
func (m *manifests) onlyDeployment(t *testing.T) (*appsv1.Deployment, *corev1.Container) {
	t.Helper()
	if len(m.deployments) != 1 {
		t.Fatalf("found %d Deployments, want 1", len(m.deployments))
	}
	d := m.deployments[0]
	containers := d.Spec.Template.Spec.Containers
	if len(containers) != 1 {
		t.Fatalf("Deployment %s has %d containers, want 1", d.Name, len(containers))
	}
	return d, &containers[0]
}

// probe is an HTTP probe of the Deployment.
type probe struct {
	name string
	path string
	spec *corev1.Probe
}

// deploymentProbes returns the Deployment's HTTP probes.
func deploymentProbes(t *testing.T) []probe {
	t.Helper()
	_, c := loadManifests(t).onlyDeployment(t)
	var probes []probe
	for name, p := range map[string]*corev1.Probe{"startupProbe": c.StartupProbe, "livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("the container has no HTTP %s", name)
			continue
		}
		probes = append(probes, probe{name: name, path: p.HTTPGet.Path, spec: p})
	}
	return probes
}

func TestKubernetesDeployment(t *testing.T) {
	m := loadManifests(t)
	d, c := m.onlyDeployment(t)

	if d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
		t.Errorf("replicas = %v, want 3", d.Spec.Replicas)
	}
	selector := labels.SelectorFromSet(d.Spec.Selector.MatchLabels)
	podLabels := labels.Set(d.Spec.Template.Labels)
	if !selector.Matches(podLabels) {
		t.Errorf("the Deployment's selector %v does not match its pod labels %v", selector, podLabels)
	}

	if len(c.Args) == 0 || c.Args[0] != "serve" {
		t.Fatalf("container args = %q, want serve first", c.Args)
	}
	checkServeArgs(t, "the Deployment's args", c.Args[1:])
	for _, env := range c.Env {
		checkEnvName(t, "the Deployment's env", env.Name)
	}

	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	listen := argValue(c.Args, "listen")
	if want := fmt.Sprintf("0.0.0.0:%d", ports["http"]); listen != want {
		t.Errorf("--listen = %q, want %q to match the container port named http", listen, want)
	}

	wantPaths := map[string]string{"startupProbe": "/healthz", "livenessProbe": "/healthz", "readinessProbe": "/readyz"}
	for _, p := range deploymentProbes(t) {
		if p.path != wantPaths[p.name] {
			t.Errorf("%s path = %s, want %s", p.name, p.path, wantPaths[p.name])
		}
		port := p.spec.HTTPGet.Port
		if port.StrVal == "" || ports[port.StrVal] == 0 {
			t.Errorf("%s port = %s, want the name of a container port", p.name, port.String())
		}
	}
	readiness := c.ReadinessProbe
	if timeout := time.Duration(readiness.TimeoutSeconds) * time.Second; timeout <= httpapi.DefaultReadinessTimeout {
		t.Errorf("readinessProbe timeoutSeconds = %d, want more than the %s that /readyz waits for the database", readiness.TimeoutSeconds, httpapi.DefaultReadinessTimeout)
	}

	requests := c.Resources.Requests
	if requests.Cpu().IsZero() || requests.Memory().IsZero() {
		t.Errorf("resource requests = %v, want cpu and memory", requests)
	}

	df, err := parseDockerfile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	data := df.env(df.lastStage())["FIELDLINK_DATA"]
	if got := argValue(c.Args, "data"); got != data {
		t.Errorf("--data = %q, want the image's data folder %q", got, data)
	}
	mounted := slices.ContainsFunc(c.VolumeMounts, func(v corev1.VolumeMount) bool { return v.MountPath == data })
	if !mounted {
		t.Errorf("no volume is mounted on the data folder %s, which a read-only root file system needs", data)
	}

	pod := d.Spec.Template.Spec
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Errorf("the pod does not set runAsNonRoot")
	}
	users := df.find(df.lastStage(), "USER")
	if pod.SecurityContext != nil && pod.SecurityContext.RunAsUser != nil && len(users) > 0 {
		if got, want := fmt.Sprint(*pod.SecurityContext.RunAsUser), strings.Split(users[len(users)-1].args, ":")[0]; got != want {
			t.Errorf("runAsUser = %s, want the image's user %s", got, want)
		}
	}

	// fieldlink serve waits up to 30 seconds for running work when it stops.
	grace := int64(30)
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Exec != nil {
		command := c.Lifecycle.PreStop.Exec.Command
		if len(command) == 2 && command[0] == "sleep" {
			var seconds int64
			fmt.Sscan(command[1], &seconds)
			grace += seconds
		}
	}
	if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds <= grace {
		t.Errorf("terminationGracePeriodSeconds = %v, want more than %d (preStop plus fieldlink's 30-second shutdown)", pod.TerminationGracePeriodSeconds, grace)
	}
}

// secretEnv are the variables that every replica takes from the Secret.
var secretEnv = []string{"FIELDLINK_MASTER_KEY", "FIELDLINK_ADMIN_TOKEN", "FIELDLINK_DATABASE"}

// checkSecretKeyRef fails the test unless the container takes the variable
// from the key of the same name in the Secret, and not optionally, so a
// missing Secret or key stops the pod from starting.
func checkSecretKeyRef(t *testing.T, where string, c *corev1.Container, secret *corev1.Secret, name string) {
	t.Helper()

	i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == name })
	if i < 0 {
		t.Errorf("%s does not set %s", where, name)
		return
	}
	from := c.Env[i].ValueFrom
	if from == nil || from.SecretKeyRef == nil {
		t.Errorf("%s sets %s other than from a secretKeyRef", where, name)
		return
	}
	ref := from.SecretKeyRef
	if ref.Name != secret.Name || ref.Key != name {
		t.Errorf("%s takes %s from Secret %q key %q, want Secret %q key %q", where, name, ref.Name, ref.Key, secret.Name, name)
	}
	if ref.Optional != nil && *ref.Optional {
		t.Errorf("%s takes %s from an optional key, so a pod would start without it", where, name)
	}
	if _, ok := secret.StringData[ref.Key]; !ok {
		t.Errorf("%s takes %s from key %q, which Secret %s does not have", where, name, ref.Key, secret.Name)
	}
}

func TestKubernetesSecret(t *testing.T) {
	m := loadManifests(t)
	d, c := m.onlyDeployment(t)
	if len(m.secrets) != 1 {
		t.Fatalf("found %d Secrets, want 1", len(m.secrets))
	}
	secret := m.secrets[0]

	for _, name := range secretEnv {
		if _, ok := secret.StringData[name]; !ok {
			t.Errorf("Secret %s has no %s", secret.Name, name)
		}
		checkSecretKeyRef(t, "Deployment "+d.Name, c, secret, name)
	}
	for name := range secret.StringData {
		checkEnvName(t, "Secret "+secret.Name, name)
	}

	// envFrom skips a key that is missing or misspelt without a word, so
	// the Secret is read key by key only.
	for _, from := range c.EnvFrom {
		if from.SecretRef != nil {
			t.Errorf("Deployment %s reads Secret %s with envFrom, which starts the pod even when a key is missing", d.Name, from.SecretRef.Name)
		}
	}
}

func TestKubernetesMigrateJob(t *testing.T) {
	m := loadManifests(t)
	_, serve := m.onlyDeployment(t)
	if len(m.jobs) != 1 || len(m.secrets) != 1 {
		t.Fatalf("found %d Jobs and %d Secrets, want 1 of each", len(m.jobs), len(m.secrets))
	}
	job := m.jobs[0]
	pod := job.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("Job %s has %d containers, want 1", job.Name, len(pod.Containers))
	}
	c := &pod.Containers[0]

	if c.Image != serve.Image {
		t.Errorf("Job image = %q, want the Deployment's %q, so that a release migrates with its own binary", c.Image, serve.Image)
	}
	if len(c.Args) == 0 || c.Args[0] != "migrate" {
		t.Fatalf("Job args = %q, want migrate first", c.Args)
	}
	if pod.RestartPolicy != corev1.RestartPolicyNever && pod.RestartPolicy != corev1.RestartPolicyOnFailure {
		t.Errorf("Job restartPolicy = %q, want Never or OnFailure", pod.RestartPolicy)
	}
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Errorf("the Job's pod does not set runAsNonRoot")
	}
	checkSecretKeyRef(t, "Job "+job.Name, c, m.secrets[0], "FIELDLINK_DATABASE")

	// The Job's command runs against a real database, with a data folder
	// that cannot be created, as on a read-only root file system.
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	database := pgtest.NewDatabase(t)
	cmd := exec.Command(fieldlinkBinary(t), c.Args...)
	cmd.Env = cleanEnv("FIELDLINK_DATABASE="+database, "FIELDLINK_DATA="+filepath.Join(blocker, "data"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the Job's command %q failed: %v\n%s", c.Args, err, out)
	}
	if !strings.Contains(string(out), "(PostgreSQL)") || !strings.Contains(string(out), "after") {
		t.Errorf("the Job's command did not migrate PostgreSQL:\n%s", out)
	}
}

func TestKubernetesServiceAndBudget(t *testing.T) {
	m := loadManifests(t)
	d, c := m.onlyDeployment(t)
	podLabels := labels.Set(d.Spec.Template.Labels)

	if len(m.services) != 1 {
		t.Fatalf("found %d Services, want 1", len(m.services))
	}
	svc := m.services[0]
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
		t.Errorf("Service %s selects %v, which does not match the pods' labels %v", svc.Name, svc.Spec.Selector, podLabels)
	}
	for _, port := range svc.Spec.Ports {
		named := slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == port.TargetPort.StrVal })
		if !named {
			t.Errorf("Service port %s targets %s, which is not a container port name", port.Name, port.TargetPort.String())
		}
	}

	if len(m.budgets) != 1 {
		t.Fatalf("found %d PodDisruptionBudgets, want 1", len(m.budgets))
	}
	budget := m.budgets[0]
	selector, err := metav1.LabelSelectorAsSelector(budget.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	if !selector.Matches(podLabels) {
		t.Errorf("PodDisruptionBudget %s selects %v, which does not match the pods' labels %v", budget.Name, selector, podLabels)
	}
	if budget.Spec.MaxUnavailable == nil || budget.Spec.MaxUnavailable.IntValue() < 1 || budget.Spec.MaxUnavailable.IntValue() >= int(*d.Spec.Replicas) {
		t.Errorf("PodDisruptionBudget maxUnavailable = %v, want at least 1 and fewer than the %d replicas", budget.Spec.MaxUnavailable, *d.Spec.Replicas)
	}
}

func TestKustomizationListsManifests(t *testing.T) {
	m := loadManifests(t)
	if m.kustomization == nil {
		t.Fatal("no kustomization.yaml")
	}

	// The examples would replace the real Secret, and a Job runs once per
	// release, so neither belongs to what every apply applies.
	var want []string
	for _, name := range m.files {
		if name != "kustomization.yaml" && !strings.HasSuffix(name, ".example.yaml") && !m.jobFiles[name] {
			want = append(want, name)
		}
	}
	got := slices.Sorted(slices.Values(m.kustomization.Resources))
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("kustomization.yaml resources = %q, want %q: every manifest but the examples and the Jobs", got, want)
	}
}

// argValue returns the value of --name=value in args.
func argValue(args []string, name string) string {
	for _, arg := range args {
		if value, ok := strings.CutPrefix(arg, "--"+name+"="); ok {
			return value
		}
	}
	return ""
}
