
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'kubectl-ambient_policy' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'kubectl-ambient_policy'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'kubectl-ambient_policy' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Explain which component enforces each policy, the identity it sees, and the effect')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Show what a change would do: enforcement, paths and findings before and after')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Will this request get through? The path hop by hop, the policy that decides, the verdict')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Does each ztunnel hold what the model predicts? Its config dump against the model')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the version, git commit and build target')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script, or link kubectl''s plugin completion (install)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff), or write one page per command into DIR')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-ambient_policy;explain' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to explain (default: with -f/-k, every namespace of the input, as `kubectl get -f`; else the kubeconfig context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to explain (default: with -f/-k, every namespace of the input, as `kubectl get -f`; else the kubeconfig context''s namespace, else "default")')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Read manifests from files or directories instead of the cluster (repeatable; - for stdin)')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Read manifests from files or directories instead of the cluster (repeatable; - for stdin)')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Read the objects `kubectl kustomize DIR` renders (repeatable; combines with -f)')
            [CompletionResult]::new('--kustomize', '--kustomize', [CompletionResultType]::ParameterName, 'Read the objects `kubectl kustomize DIR` renders (repeatable; combines with -f)')
            [CompletionResult]::new('--namespace-labels', '--namespace-labels', [CompletionResultType]::ParameterName, 'Labels of a namespace missing from the -f input, e.g. bookinfo=istio.io/dataplane-mode=ambient (repeatable; "NS=" for none; overrides the input)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: the current context)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Timeout to connect and for each API request, e.g. 5s, 500ms, 1m; the whole read is bounded by six times it')
            [CompletionResult]::new('--istio-namespace', '--istio-namespace', [CompletionResultType]::ParameterName, 'Namespace where istiod runs (its istio ConfigMap and Deployment are read there)')
            [CompletionResult]::new('--root-namespace', '--root-namespace', [CompletionResultType]::ParameterName, 'Istio root namespace (default: from the istio ConfigMap, else istio-system)')
            [CompletionResult]::new('--trust-domain', '--trust-domain', [CompletionResultType]::ParameterName, 'Mesh trust domain (default: from the istio ConfigMap, else cluster.local)')
            [CompletionResult]::new('--istio-version', '--istio-version', [CompletionResultType]::ParameterName, 'The Istio (istiod) version whose rules apply, e.g. 1.26 or 1.26.2 (default: istiod''s image tag, else the newest release known)')
            [CompletionResult]::new('--ztunnel-version', '--ztunnel-version', [CompletionResultType]::ParameterName, 'ztunnel''s version, when it differs from istiod''s during an upgrade (default: the ztunnel DaemonSet''s image tag, else istiod''s version)')
            [CompletionResult]::new('--feature', '--feature', [CompletionResultType]::ParameterName, 'Set an istiod feature flag, e.g. PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true (repeatable)')
            [CompletionResult]::new('--cni-exclude-namespaces', '--cni-exclude-namespaces', [CompletionResultType]::ParameterName, 'Namespaces istio-cni never enrols (comma-separated; default kube-system)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Narrow the destination workloads with a label selector (e.g. app=productpage)')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Narrow the destination workloads with a label selector (e.g. app=productpage)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the table output (NO_COLOR and TERM=dumb also turn it off)')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Exit with code 1 when a finding at or above this severity remains')
            [CompletionResult]::new('--suppress', '--suppress', [CompletionResultType]::ParameterName, 'Silence findings: CODE or CODE=Kind/namespace/name, `*` wildcards (repeatable)')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Keep only these findings (the inverse of --suppress): CODE or CODE=Kind/namespace/name, `*` wildcards; comma-separated or repeatable')
            [CompletionResult]::new('--findings', '--findings', [CompletionResultType]::ParameterName, 'How the table lists findings (default: summary above 50 findings, else all); exit codes count every finding whatever is listed')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Explain every namespace')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Explain every namespace')
            [CompletionResult]::new('--no-network-policy', '--no-network-policy', [CompletionResultType]::ParameterName, 'Leave Kubernetes NetworkPolicies out: verdicts then cover Istio''s policies only')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each API request (path, status, size, time), each list''s encoding (protobuf or JSON) and the versions chosen on stderr; credentials are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each API request (path, status, size, time), each list''s encoding (protobuf or JSON) and the versions chosen on stderr; credentials are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-ambient_policy;diff' {
            [CompletionResult]::new('--base', '--base', [CompletionResultType]::ParameterName, 'Compare with these manifests instead of the cluster (offline; repeatable)')
            [CompletionResult]::new('--delete', '--delete', [CompletionResultType]::ParameterName, 'Remove an object from the cluster side: Kind/namespace/name, or Kind/name (repeatable)')
            [CompletionResult]::new('--base-istio-version', '--base-istio-version', [CompletionResultType]::ParameterName, 'The Istio (istiod) version of the base side, to preview an upgrade (default: as the proposed side: --istio-version, else what the base input says)')
            [CompletionResult]::new('--base-ztunnel-version', '--base-ztunnel-version', [CompletionResultType]::ParameterName, 'ztunnel''s version on the base side (default: as the proposed side)')
            [CompletionResult]::new('--namespace-labels', '--namespace-labels', [CompletionResultType]::ParameterName, 'Labels of a namespace missing from the -f input, e.g. bookinfo=istio.io/dataplane-mode=ambient (repeatable; "NS=" for none; overrides the input)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: the current context)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Timeout to connect and for each API request, e.g. 5s, 500ms, 1m; the whole read is bounded by six times it')
            [CompletionResult]::new('--istio-namespace', '--istio-namespace', [CompletionResultType]::ParameterName, 'Namespace where istiod runs (its istio ConfigMap and Deployment are read there)')
            [CompletionResult]::new('--root-namespace', '--root-namespace', [CompletionResultType]::ParameterName, 'Istio root namespace (default: from the istio ConfigMap, else istio-system)')
            [CompletionResult]::new('--trust-domain', '--trust-domain', [CompletionResultType]::ParameterName, 'Mesh trust domain (default: from the istio ConfigMap, else cluster.local)')
            [CompletionResult]::new('--istio-version', '--istio-version', [CompletionResultType]::ParameterName, 'The Istio (istiod) version whose rules apply, e.g. 1.26 or 1.26.2 (default: istiod''s image tag, else the newest release known)')
            [CompletionResult]::new('--ztunnel-version', '--ztunnel-version', [CompletionResultType]::ParameterName, 'ztunnel''s version, when it differs from istiod''s during an upgrade (default: the ztunnel DaemonSet''s image tag, else istiod''s version)')
            [CompletionResult]::new('--feature', '--feature', [CompletionResultType]::ParameterName, 'Set an istiod feature flag, e.g. PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true (repeatable)')
            [CompletionResult]::new('--cni-exclude-namespaces', '--cni-exclude-namespaces', [CompletionResultType]::ParameterName, 'Namespaces istio-cni never enrols (comma-separated; default kube-system)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Narrow the destination workloads with a label selector (e.g. app=productpage)')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Narrow the destination workloads with a label selector (e.g. app=productpage)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the table output (NO_COLOR and TERM=dumb also turn it off)')
            [CompletionResult]::new('--suppress', '--suppress', [CompletionResultType]::ParameterName, 'Silence findings: CODE or CODE=Kind/namespace/name, `*` wildcards (repeatable)')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Keep only these findings (the inverse of --suppress): CODE or CODE=Kind/namespace/name, `*` wildcards; comma-separated or repeatable')
            [CompletionResult]::new('--findings', '--findings', [CompletionResultType]::ParameterName, 'How the table lists findings (default: summary above 50 findings, else all); exit codes count every finding whatever is listed')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'The proposed manifests: files or directories (repeatable; - for stdin)')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'The proposed manifests: files or directories (repeatable; - for stdin)')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'The proposed manifests as `kubectl kustomize DIR` renders them (repeatable; combines with -f)')
            [CompletionResult]::new('--kustomize', '--kustomize', [CompletionResultType]::ParameterName, 'The proposed manifests as `kubectl kustomize DIR` renders them (repeatable; combines with -f)')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Exit 1 only when the change introduces a finding at or above this severity')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to compare (default: with --base, every namespace of the manifests; against the cluster, the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to compare (default: with --base, every namespace of the manifests; against the cluster, the context''s namespace, else "default")')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Explain every namespace')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Explain every namespace')
            [CompletionResult]::new('--no-network-policy', '--no-network-policy', [CompletionResultType]::ParameterName, 'Leave Kubernetes NetworkPolicies out: verdicts then cover Istio''s policies only')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each API request (path, status, size, time), each list''s encoding (protobuf or JSON) and the versions chosen on stderr; credentials are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each API request (path, status, size, time), each list''s encoding (protobuf or JSON) and the versions chosen on stderr; credentials are never logged')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-ambient_policy;check' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'The client: pod/NS/NAME, NS/NAME, deploy/NS/NAME, sa/NS/NAME, ingress[/NS/NAME] or external')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The destination: svc/NS/NAME[:PORT], pod/NS/NAME[:PORT], deploy/NS/NAME[:PORT] or a hostname')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Destination port (the Service port for a Service)')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'HTTP method (unknown when not given)')
            [CompletionResult]::new('--path', '--path', [CompletionResultType]::ParameterName, 'HTTP path (unknown when not given)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'A request header NAME:VALUE (repeatable); headers not given are unknown')
            [CompletionResult]::new('--request-principal', '--request-principal', [CompletionResultType]::ParameterName, 'The JWT principal ISSUER/SUBJECT (unknown when not given)')
            [CompletionResult]::new('--source-ip', '--source-ip', [CompletionResultType]::ParameterName, 'The client''s IP address (for ipBlocks and source.ip conditions)')
            [CompletionResult]::new('--ztunnel-dump', '--ztunnel-dump', [CompletionResultType]::ParameterName, 'Decide the ztunnel hops on the policies this ztunnel config dump holds (its /config_dump, or `istioctl ztunnel-config all -o json`) rather than on the model''s conversion, and say where the model would decide otherwise')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (mermaid and dot: one request, with both --from and --to)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (mermaid and dot: one request, with both --from and --to)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the table output (NO_COLOR and TERM=dumb also turn it off)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Read manifests from files or directories instead of the cluster (repeatable; - for stdin)')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Read manifests from files or directories instead of the cluster (repeatable; - for stdin)')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Read the objects `kubectl kustomize DIR` renders (repeatable; combines with -f)')
            [CompletionResult]::new('--kustomize', '--kustomize', [CompletionResultType]::ParameterName, 'Read the objects `kubectl kustomize DIR` renders (repeatable; combines with -f)')
            [CompletionResult]::new('--namespace-labels', '--namespace-labels', [CompletionResultType]::ParameterName, 'Labels of a namespace missing from the -f input, e.g. bookinfo=istio.io/dataplane-mode=ambient (repeatable; "NS=" for none; overrides the input)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: the current context)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Timeout to connect and for each API request, e.g. 5s, 500ms, 1m; the whole read is bounded by six times it')
            [CompletionResult]::new('--istio-namespace', '--istio-namespace', [CompletionResultType]::ParameterName, 'Namespace where istiod runs (its istio ConfigMap and Deployment are read there)')
            [CompletionResult]::new('--root-namespace', '--root-namespace', [CompletionResultType]::ParameterName, 'Istio root namespace (default: from the istio ConfigMap, else istio-system)')
            [CompletionResult]::new('--trust-domain', '--trust-domain', [CompletionResultType]::ParameterName, 'Mesh trust domain (default: from the istio ConfigMap, else cluster.local)')
            [CompletionResult]::new('--istio-version', '--istio-version', [CompletionResultType]::ParameterName, 'The Istio (istiod) version whose rules apply, e.g. 1.26 or 1.26.2 (default: istiod''s image tag, else the newest release known)')
            [CompletionResult]::new('--ztunnel-version', '--ztunnel-version', [CompletionResultType]::ParameterName, 'ztunnel''s version, when it differs from istiod''s during an upgrade (default: the ztunnel DaemonSet''s image tag, else istiod''s version)')
            [CompletionResult]::new('--feature', '--feature', [CompletionResultType]::ParameterName, 'Set an istiod feature flag, e.g. PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true (repeatable)')
            [CompletionResult]::new('--cni-exclude-namespaces', '--cni-exclude-namespaces', [CompletionResultType]::ParameterName, 'Namespaces istio-cni never enrols (comma-separated; default kube-system)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of NAME-only forms and of the matrix (default: the context''s, else "default"; with -f/-k, the matrix covers every namespace of the input)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of NAME-only forms and of the matrix (default: the context''s, else "default"; with -f/-k, the matrix covers every namespace of the input)')
            [CompletionResult]::new('--plaintext', '--plaintext', [CompletionResultType]::ParameterName, 'Send without mTLS, as a client outside the mesh would')
            [CompletionResult]::new('--pod-ip', '--pod-ip', [CompletionResultType]::ParameterName, 'Matrix: also pods by IP as destinations')
            [CompletionResult]::new('--from-dataplane', '--from-dataplane', [CompletionResultType]::ParameterName, 'As --ztunnel-dump, with the dump read from a ztunnel of the cluster through port-forward (see `verify`)')
            [CompletionResult]::new('--no-network-policy', '--no-network-policy', [CompletionResultType]::ParameterName, 'Leave Kubernetes NetworkPolicies out: verdicts then cover Istio''s policies only')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each API request (path, status, size, time), each list''s encoding (protobuf or JSON) and the versions chosen on stderr; credentials are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each API request (path, status, size, time), each list''s encoding (protobuf or JSON) and the versions chosen on stderr; credentials are never logged')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Matrix over every namespace')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Matrix over every namespace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-ambient_policy;verify' {
            [CompletionResult]::new('--ztunnel-dump', '--ztunnel-dump', [CompletionResultType]::ParameterName, 'A ztunnel config dump to compare instead of reading the ztunnels: its /config_dump, or `istioctl ztunnel-config all -o json` (repeatable: one per node; - for stdin)')
            [CompletionResult]::new('--ztunnel-selector', '--ztunnel-selector', [CompletionResultType]::ParameterName, 'Label selector of the ztunnel pods in istiod''s namespace')
            [CompletionResult]::new('--proxy-admin-port', '--proxy-admin-port', [CompletionResultType]::ParameterName, 'ztunnel''s admin port, reached through port-forward')
            [CompletionResult]::new('--suppress', '--suppress', [CompletionResultType]::ParameterName, 'Silence disagreements: CODE or CODE=Kind/namespace/name, `*` wildcards (repeatable)')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Keep only these disagreements: CODE or CODE=Kind/namespace/name, `*` wildcards; comma-separated or repeatable')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Exit 1 when a disagreement at or above this severity is found')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the table output (NO_COLOR and TERM=dumb also turn it off)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Read manifests from files or directories instead of the cluster (repeatable; - for stdin)')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Read manifests from files or directories instead of the cluster (repeatable; - for stdin)')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Read the objects `kubectl kustomize DIR` renders (repeatable; combines with -f)')
            [CompletionResult]::new('--kustomize', '--kustomize', [CompletionResultType]::ParameterName, 'Read the objects `kubectl kustomize DIR` renders (repeatable; combines with -f)')
            [CompletionResult]::new('--namespace-labels', '--namespace-labels', [CompletionResultType]::ParameterName, 'Labels of a namespace missing from the -f input, e.g. bookinfo=istio.io/dataplane-mode=ambient (repeatable; "NS=" for none; overrides the input)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: KUBECONFIG, else ~/.kube/config, else in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: the current context)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Timeout to connect and for each API request, e.g. 5s, 500ms, 1m; the whole read is bounded by six times it')
            [CompletionResult]::new('--istio-namespace', '--istio-namespace', [CompletionResultType]::ParameterName, 'Namespace where istiod runs (its istio ConfigMap and Deployment are read there)')
            [CompletionResult]::new('--root-namespace', '--root-namespace', [CompletionResultType]::ParameterName, 'Istio root namespace (default: from the istio ConfigMap, else istio-system)')
            [CompletionResult]::new('--trust-domain', '--trust-domain', [CompletionResultType]::ParameterName, 'Mesh trust domain (default: from the istio ConfigMap, else cluster.local)')
            [CompletionResult]::new('--istio-version', '--istio-version', [CompletionResultType]::ParameterName, 'The Istio (istiod) version whose rules apply, e.g. 1.26 or 1.26.2 (default: istiod''s image tag, else the newest release known)')
            [CompletionResult]::new('--ztunnel-version', '--ztunnel-version', [CompletionResultType]::ParameterName, 'ztunnel''s version, when it differs from istiod''s during an upgrade (default: the ztunnel DaemonSet''s image tag, else istiod''s version)')
            [CompletionResult]::new('--feature', '--feature', [CompletionResultType]::ParameterName, 'Set an istiod feature flag, e.g. PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true (repeatable)')
            [CompletionResult]::new('--cni-exclude-namespaces', '--cni-exclude-namespaces', [CompletionResultType]::ParameterName, 'Namespaces istio-cni never enrols (comma-separated; default kube-system)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to verify (default: the context''s, else "default"; with -f, every namespace of the input)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to verify (default: the context''s, else "default"; with -f, every namespace of the input)')
            [CompletionResult]::new('--no-network-policy', '--no-network-policy', [CompletionResultType]::ParameterName, 'Leave Kubernetes NetworkPolicies out: verdicts then cover Istio''s policies only')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each API request (path, status, size, time), each list''s encoding (protobuf or JSON) and the versions chosen on stderr; credentials are never logged')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each API request (path, status, size, time), each list''s encoding (protobuf or JSON) and the versions chosen on stderr; credentials are never logged')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Verify every namespace')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Verify every namespace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-ambient_policy;version' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (default: text)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (default: text)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-ambient_policy;completion' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-ambient_policy;man' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-ambient_policy;help' {
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Explain which component enforces each policy, the identity it sees, and the effect')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Show what a change would do: enforcement, paths and findings before and after')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Will this request get through? The path hop by hop, the policy that decides, the verdict')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Does each ztunnel hold what the model predicts? Its config dump against the model')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the version, git commit and build target')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script, or link kubectl''s plugin completion (install)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff), or write one page per command into DIR')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-ambient_policy;help;explain' {
            break
        }
        'kubectl-ambient_policy;help;diff' {
            break
        }
        'kubectl-ambient_policy;help;check' {
            break
        }
        'kubectl-ambient_policy;help;verify' {
            break
        }
        'kubectl-ambient_policy;help;version' {
            break
        }
        'kubectl-ambient_policy;help;completion' {
            break
        }
        'kubectl-ambient_policy;help;man' {
            break
        }
        'kubectl-ambient_policy;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
