# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_kubectl_ambient_policy_global_optspecs
    string join \n h/help V/version
end

function __fish_kubectl_ambient_policy_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_kubectl_ambient_policy_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_kubectl_ambient_policy_using_subcommand
    set -l cmd (__fish_kubectl_ambient_policy_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_needs_command" -s h -l help -d 'Print help'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_needs_command" -s V -l version -d 'Print version'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_needs_command" -f -a "explain" -d 'Explain which component enforces each policy, the identity it sees, and the effect'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_needs_command" -f -a "diff" -d 'Show what a change would do: enforcement, paths and findings before and after'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_needs_command" -f -a "check" -d 'Will this request get through? The path hop by hop, the policy that decides, the verdict'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_needs_command" -f -a "verify" -d 'Does each ztunnel hold what the model predicts? Its config dump against the model'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_needs_command" -f -a "version" -d 'Print the version, git commit and build target'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_needs_command" -f -a "completion" -d 'Print a shell completion script, or link kubectl\'s plugin completion (install)'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_needs_command" -f -a "man" -d 'Print the man page (roff), or write one page per command into DIR'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -s n -l namespace -d 'Namespace to explain (default: with -f/-k, every namespace of the input, as `kubectl get -f`; else the kubeconfig context\'s namespace, else "default")' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -s f -l filename -d 'Read manifests from files or directories instead of the cluster (repeatable; - for stdin)' -r -F
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -s k -l kustomize -d 'Read the objects `kubectl kustomize DIR` renders (repeatable; combines with -f)' -r -f -a "(__fish_complete_directories)"
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -l namespace-labels -d 'Labels of a namespace missing from the -f input, e.g. bookinfo=istio.io/dataplane-mode=ambient (repeatable; "NS=" for none; overrides the input)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -l kubeconfig -d 'Path to the kubeconfig file (default: KUBECONFIG, else ~/.kube/config, else in-cluster)' -r -F
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -l context -d 'The kubeconfig context to use (default: the current context)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -l request-timeout -d 'Timeout to connect and for each API request, e.g. 5s, 500ms, 1m; the whole read is bounded by six times it' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -l istio-namespace -d 'Namespace where istiod runs (its istio ConfigMap and Deployment are read there)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -l root-namespace -d 'Istio root namespace (default: from the istio ConfigMap, else istio-system)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -l trust-domain -d 'Mesh trust domain (default: from the istio ConfigMap, else cluster.local)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -l istio-version -d 'The Istio (istiod) version whose rules apply, e.g. 1.26 or 1.26.2 (default: istiod\'s image tag, else the newest release known)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -l ztunnel-version -d 'ztunnel\'s version, when it differs from istiod\'s during an upgrade (default: the ztunnel DaemonSet\'s image tag, else istiod\'s version)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -l feature -d 'Set an istiod feature flag, e.g. PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true (repeatable)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -l cni-exclude-namespaces -d 'Namespaces istio-cni never enrols (comma-separated; default kube-system)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
sarif\t'SARIF 2.1.0, for code scanning (e.g. github/codeql-action/upload-sarif)'
github\t'GitHub Actions annotations (::error file=...,line=...::)'
mermaid\t'A Mermaid flowchart of the paths (renders in GitHub Markdown)'
dot\t'A Graphviz DOT graph of the paths (`dot -Tsvg`)'"
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -s l -l selector -d 'Narrow the destination workloads with a label selector (e.g. app=productpage)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -l color -d 'When to colour the table output (NO_COLOR and TERM=dumb also turn it off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -l fail-on -d 'Exit with code 1 when a finding at or above this severity remains' -r -f -a "error\t''
warning\t''
info\t''"
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -l suppress -d 'Silence findings: CODE or CODE=Kind/namespace/name, `*` wildcards (repeatable)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -l only -d 'Keep only these findings (the inverse of --suppress): CODE or CODE=Kind/namespace/name, `*` wildcards; comma-separated or repeatable' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -l findings -d 'How the table lists findings (default: summary above 50 findings, else all); exit codes count every finding whatever is listed' -r -f -a "summary\t'Counts per code (and per namespace across namespaces), then the first few of each code'
all\t'Every finding, the same finding on several resources once'
none\t'No finding, only their count'"
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -s A -l all-namespaces -d 'Explain every namespace'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -l no-network-policy -d 'Leave Kubernetes NetworkPolicies out: verdicts then cover Istio\'s policies only'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -s v -l verbose -d 'Log each API request (path, status, size, time), each list\'s encoding (protobuf or JSON) and the versions chosen on stderr; credentials are never logged'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand explain" -s V -l version -d 'Print version'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l base -d 'Compare with these manifests instead of the cluster (offline; repeatable)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l delete -d 'Remove an object from the cluster side: Kind/namespace/name, or Kind/name (repeatable)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l base-istio-version -d 'The Istio (istiod) version of the base side, to preview an upgrade (default: as the proposed side: --istio-version, else what the base input says)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l base-ztunnel-version -d 'ztunnel\'s version on the base side (default: as the proposed side)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l namespace-labels -d 'Labels of a namespace missing from the -f input, e.g. bookinfo=istio.io/dataplane-mode=ambient (repeatable; "NS=" for none; overrides the input)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l kubeconfig -d 'Path to the kubeconfig file (default: KUBECONFIG, else ~/.kube/config, else in-cluster)' -r -F
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l context -d 'The kubeconfig context to use (default: the current context)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l request-timeout -d 'Timeout to connect and for each API request, e.g. 5s, 500ms, 1m; the whole read is bounded by six times it' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l istio-namespace -d 'Namespace where istiod runs (its istio ConfigMap and Deployment are read there)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l root-namespace -d 'Istio root namespace (default: from the istio ConfigMap, else istio-system)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l trust-domain -d 'Mesh trust domain (default: from the istio ConfigMap, else cluster.local)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l istio-version -d 'The Istio (istiod) version whose rules apply, e.g. 1.26 or 1.26.2 (default: istiod\'s image tag, else the newest release known)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l ztunnel-version -d 'ztunnel\'s version, when it differs from istiod\'s during an upgrade (default: the ztunnel DaemonSet\'s image tag, else istiod\'s version)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l feature -d 'Set an istiod feature flag, e.g. PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true (repeatable)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l cni-exclude-namespaces -d 'Namespaces istio-cni never enrols (comma-separated; default kube-system)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
sarif\t'SARIF 2.1.0 of the findings the change introduces, for code scanning'
github\t'GitHub Actions annotations of the findings the change introduces'"
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -s l -l selector -d 'Narrow the destination workloads with a label selector (e.g. app=productpage)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l color -d 'When to colour the table output (NO_COLOR and TERM=dumb also turn it off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l suppress -d 'Silence findings: CODE or CODE=Kind/namespace/name, `*` wildcards (repeatable)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l only -d 'Keep only these findings (the inverse of --suppress): CODE or CODE=Kind/namespace/name, `*` wildcards; comma-separated or repeatable' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l findings -d 'How the table lists findings (default: summary above 50 findings, else all); exit codes count every finding whatever is listed' -r -f -a "summary\t'Counts per code (and per namespace across namespaces), then the first few of each code'
all\t'Every finding, the same finding on several resources once'
none\t'No finding, only their count'"
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -s f -l filename -d 'The proposed manifests: files or directories (repeatable; - for stdin)' -r -F
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -s k -l kustomize -d 'The proposed manifests as `kubectl kustomize DIR` renders them (repeatable; combines with -f)' -r -f -a "(__fish_complete_directories)"
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l fail-on -d 'Exit 1 only when the change introduces a finding at or above this severity' -r -f -a "error\t''
warning\t''
info\t''"
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -s n -l namespace -d 'Namespace to compare (default: with --base, every namespace of the manifests; against the cluster, the context\'s namespace, else "default")' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -s A -l all-namespaces -d 'Explain every namespace'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -l no-network-policy -d 'Leave Kubernetes NetworkPolicies out: verdicts then cover Istio\'s policies only'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -s v -l verbose -d 'Log each API request (path, status, size, time), each list\'s encoding (protobuf or JSON) and the versions chosen on stderr; credentials are never logged'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand diff" -s V -l version -d 'Print version'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l from -d 'The client: pod/NS/NAME, NS/NAME, deploy/NS/NAME, sa/NS/NAME, ingress[/NS/NAME] or external' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l to -d 'The destination: svc/NS/NAME[:PORT], pod/NS/NAME[:PORT], deploy/NS/NAME[:PORT] or a hostname' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l port -d 'Destination port (the Service port for a Service)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l method -d 'HTTP method (unknown when not given)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l path -d 'HTTP path (unknown when not given)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l header -d 'A request header NAME:VALUE (repeatable); headers not given are unknown' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l request-principal -d 'The JWT principal ISSUER/SUBJECT (unknown when not given)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l source-ip -d 'The client\'s IP address (for ipBlocks and source.ip conditions)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l ztunnel-dump -d 'Decide the ztunnel hops on the policies this ztunnel config dump holds (its /config_dump, or `istioctl ztunnel-config all -o json`) rather than on the model\'s conversion, and say where the model would decide otherwise' -r -F
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -s o -l output -d 'Output format (mermaid and dot: one request, with both --from and --to)' -r -f -a "table\t''
json\t''
yaml\t''
mermaid\t'A Mermaid flowchart of the request\'s hops'
dot\t'A Graphviz DOT graph of the request\'s hops (`dot -Tsvg`)'"
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l color -d 'When to colour the table output (NO_COLOR and TERM=dumb also turn it off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -s f -l filename -d 'Read manifests from files or directories instead of the cluster (repeatable; - for stdin)' -r -F
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -s k -l kustomize -d 'Read the objects `kubectl kustomize DIR` renders (repeatable; combines with -f)' -r -f -a "(__fish_complete_directories)"
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l namespace-labels -d 'Labels of a namespace missing from the -f input, e.g. bookinfo=istio.io/dataplane-mode=ambient (repeatable; "NS=" for none; overrides the input)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l kubeconfig -d 'Path to the kubeconfig file (default: KUBECONFIG, else ~/.kube/config, else in-cluster)' -r -F
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l context -d 'The kubeconfig context to use (default: the current context)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l request-timeout -d 'Timeout to connect and for each API request, e.g. 5s, 500ms, 1m; the whole read is bounded by six times it' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l istio-namespace -d 'Namespace where istiod runs (its istio ConfigMap and Deployment are read there)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l root-namespace -d 'Istio root namespace (default: from the istio ConfigMap, else istio-system)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l trust-domain -d 'Mesh trust domain (default: from the istio ConfigMap, else cluster.local)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l istio-version -d 'The Istio (istiod) version whose rules apply, e.g. 1.26 or 1.26.2 (default: istiod\'s image tag, else the newest release known)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l ztunnel-version -d 'ztunnel\'s version, when it differs from istiod\'s during an upgrade (default: the ztunnel DaemonSet\'s image tag, else istiod\'s version)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l feature -d 'Set an istiod feature flag, e.g. PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true (repeatable)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l cni-exclude-namespaces -d 'Namespaces istio-cni never enrols (comma-separated; default kube-system)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -s n -l namespace -d 'Namespace of NAME-only forms and of the matrix (default: the context\'s, else "default"; with -f/-k, the matrix covers every namespace of the input)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l plaintext -d 'Send without mTLS, as a client outside the mesh would'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l pod-ip -d 'Matrix: also pods by IP as destinations'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l from-dataplane -d 'As --ztunnel-dump, with the dump read from a ztunnel of the cluster through port-forward (see `verify`)'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -l no-network-policy -d 'Leave Kubernetes NetworkPolicies out: verdicts then cover Istio\'s policies only'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -s v -l verbose -d 'Log each API request (path, status, size, time), each list\'s encoding (protobuf or JSON) and the versions chosen on stderr; credentials are never logged'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -s A -l all-namespaces -d 'Matrix over every namespace'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand check" -s V -l version -d 'Print version'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -l ztunnel-dump -d 'A ztunnel config dump to compare instead of reading the ztunnels: its /config_dump, or `istioctl ztunnel-config all -o json` (repeatable: one per node; - for stdin)' -r -F
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -l ztunnel-selector -d 'Label selector of the ztunnel pods in istiod\'s namespace' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -l proxy-admin-port -d 'ztunnel\'s admin port, reached through port-forward' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -l suppress -d 'Silence disagreements: CODE or CODE=Kind/namespace/name, `*` wildcards (repeatable)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -l only -d 'Keep only these disagreements: CODE or CODE=Kind/namespace/name, `*` wildcards; comma-separated or repeatable' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -l fail-on -d 'Exit 1 when a disagreement at or above this severity is found' -r -f -a "error\t''
warning\t''
info\t''"
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -s o -l output -d 'Output format' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -l color -d 'When to colour the table output (NO_COLOR and TERM=dumb also turn it off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -s f -l filename -d 'Read manifests from files or directories instead of the cluster (repeatable; - for stdin)' -r -F
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -s k -l kustomize -d 'Read the objects `kubectl kustomize DIR` renders (repeatable; combines with -f)' -r -f -a "(__fish_complete_directories)"
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -l namespace-labels -d 'Labels of a namespace missing from the -f input, e.g. bookinfo=istio.io/dataplane-mode=ambient (repeatable; "NS=" for none; overrides the input)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -l kubeconfig -d 'Path to the kubeconfig file (default: KUBECONFIG, else ~/.kube/config, else in-cluster)' -r -F
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -l context -d 'The kubeconfig context to use (default: the current context)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -l request-timeout -d 'Timeout to connect and for each API request, e.g. 5s, 500ms, 1m; the whole read is bounded by six times it' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -l istio-namespace -d 'Namespace where istiod runs (its istio ConfigMap and Deployment are read there)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -l root-namespace -d 'Istio root namespace (default: from the istio ConfigMap, else istio-system)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -l trust-domain -d 'Mesh trust domain (default: from the istio ConfigMap, else cluster.local)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -l istio-version -d 'The Istio (istiod) version whose rules apply, e.g. 1.26 or 1.26.2 (default: istiod\'s image tag, else the newest release known)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -l ztunnel-version -d 'ztunnel\'s version, when it differs from istiod\'s during an upgrade (default: the ztunnel DaemonSet\'s image tag, else istiod\'s version)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -l feature -d 'Set an istiod feature flag, e.g. PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true (repeatable)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -l cni-exclude-namespaces -d 'Namespaces istio-cni never enrols (comma-separated; default kube-system)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -s n -l namespace -d 'Namespace to verify (default: the context\'s, else "default"; with -f, every namespace of the input)' -r
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -l no-network-policy -d 'Leave Kubernetes NetworkPolicies out: verdicts then cover Istio\'s policies only'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -s v -l verbose -d 'Log each API request (path, status, size, time), each list\'s encoding (protobuf or JSON) and the versions chosen on stderr; credentials are never logged'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -s A -l all-namespaces -d 'Verify every namespace'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -s h -l help -d 'Print help'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand verify" -s V -l version -d 'Print version'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand version" -s o -l output -d 'Output format (default: text)' -r -f -a "json\t''
yaml\t''"
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand version" -s h -l help -d 'Print help'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand version" -s V -l version -d 'Print version'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand completion" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand completion" -s V -l version -d 'Print version'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand man" -s h -l help -d 'Print help'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand man" -s V -l version -d 'Print version'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand help; and not __fish_seen_subcommand_from explain diff check verify version completion man help" -f -a "explain" -d 'Explain which component enforces each policy, the identity it sees, and the effect'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand help; and not __fish_seen_subcommand_from explain diff check verify version completion man help" -f -a "diff" -d 'Show what a change would do: enforcement, paths and findings before and after'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand help; and not __fish_seen_subcommand_from explain diff check verify version completion man help" -f -a "check" -d 'Will this request get through? The path hop by hop, the policy that decides, the verdict'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand help; and not __fish_seen_subcommand_from explain diff check verify version completion man help" -f -a "verify" -d 'Does each ztunnel hold what the model predicts? Its config dump against the model'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand help; and not __fish_seen_subcommand_from explain diff check verify version completion man help" -f -a "version" -d 'Print the version, git commit and build target'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand help; and not __fish_seen_subcommand_from explain diff check verify version completion man help" -f -a "completion" -d 'Print a shell completion script, or link kubectl\'s plugin completion (install)'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand help; and not __fish_seen_subcommand_from explain diff check verify version completion man help" -f -a "man" -d 'Print the man page (roff), or write one page per command into DIR'
complete -c kubectl-ambient_policy -n "__fish_kubectl_ambient_policy_using_subcommand help; and not __fish_seen_subcommand_from explain diff check verify version completion man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
