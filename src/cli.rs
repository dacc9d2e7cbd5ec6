//! Command-line definitions (clap derive). Parsing only: no I/O happens here.
//! The raw arguments are turned into validated requests by the actions in
//! [`crate::action`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// berth: render, encrypt, diff and deploy Kubernetes charts with SOPS secrets.
#[derive(Debug, Parser)]
#[command(name = "berth", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command accepts.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Workspace root (default: nearest ancestor holding berth.yaml or profiles/).
    #[arg(long, global = true, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Print less: only errors and the requested output.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more detail (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Output format of the command's result.
    #[arg(long = "output", global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Colour: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// Result format on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// Human-readable text.
    #[default]
    Text,
    /// One JSON document (see docs/json-output.md).
    Json,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// The berth commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the releases of one or more profiles to Kubernetes YAML.
    Render(RenderArgs),
    /// Render one Helm chart as `helm template` does.
    Template(TemplateArgs),
    /// Check profiles, values, schemas and templates; report every problem.
    Lint(LintArgs),
    /// List the workspace's profiles.
    Profiles,
    /// Show what a deploy would change in the cluster.
    Diff(DiffArgs),
    /// Render, diff, confirm, apply, prune, wait and record.
    Deploy(DeployArgs),
    /// Show the revision history of releases.
    History(HistoryArgs),
    /// Show the current revision and object readiness of each release.
    Status(StatusArgs),
    /// Redeploy an earlier revision as a new revision.
    Rollback(RollbackArgs),
    /// Delete releases: their objects, then their records.
    Delete(DeleteArgs),
    /// Work with SOPS-encrypted files.
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Manage a Helm chart's dependencies: list, update (resolve and lock), build (from the lock).
    #[command(subcommand, visible_alias = "dep", alias = "dependencies")]
    Dependency(DependencyCommand),
    /// sops 3.11's command line (`berth sops decrypt FILE` …); see docs/sops-compat.md.
    #[command(disable_help_flag = true)]
    Sops {
        /// Arguments passed to the sops front end as they are.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<std::ffi::OsString>,
    },
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout.
    #[command(hide = true)]
    Man,
}

/// Profile selection: `-p a,b` or `-p a -p b`.
#[derive(Debug, Args, Clone, Default)]
pub struct ProfileArgs {
    /// Profile(s) to use; comma-separated or repeated.
    #[arg(
        short = 'p',
        long = "profile",
        value_delimiter = ',',
        required = true,
        value_name = "PROFILE"
    )]
    pub profiles: Vec<String>,
}

/// Command-line values, highest precedence (Helm's syntax).
#[derive(Debug, Args, Clone, Default)]
pub struct ValueArgs {
    /// Set values: a.b=1,c[0].d=x (integers, true/false and null are typed).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Set values as strings: a.b=007.
    #[arg(long = "set-string", value_name = "PATH=VALUE")]
    pub set_string: Vec<String>,
    /// Set a value from a file's contents: a.b=path/to/file.
    #[arg(long = "set-file", value_name = "PATH=FILE")]
    pub set_file: Vec<String>,
    /// Set JSON values: a.b={"c":[1,2]},d="x" (or one JSON object: {"a":1}).
    #[arg(long = "set-json", value_name = "PATH=JSON")]
    pub set_json: Vec<String>,
    /// Set one value verbatim as a string: a.b=everything after the first =.
    #[arg(long = "set-literal", value_name = "PATH=STRING")]
    pub set_literal: Vec<String>,
    /// Extra values files (above profile and release values, below --set).
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
}

/// How to reach the cluster (resolved as kubectl does).
#[derive(Debug, Args, Clone, Default)]
pub struct ClusterArgs {
    /// Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Override the namespace of every release.
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub profiles: ProfileArgs,
    #[command(flatten)]
    pub values: ValueArgs,
    /// Write one file per release under DIR instead of stdout (files are 0600).
    #[arg(short = 'o', long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Print Secret `data`/`stringData` values (masked by default).
    #[arg(long)]
    pub show_secrets: bool,
}

/// `berth template [NAME] CHART`: `helm template`'s arguments and flags.
#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// `[NAME] CHART`: the release name (default `release-name`) and the chart directory.
    #[arg(value_name = "NAME/CHART", num_args = 1.., required = true)]
    pub args: Vec<String>,
    /// Generate the release name and omit NAME. As in `helm template` (v4.2.3), the
    /// release is then still named `release-name`; with a NAME it is refused.
    #[arg(short = 'g', long)]
    pub generate_name: bool,
    /// Namespace of the release (`.Release.Namespace`).
    #[arg(short = 'n', long, value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,
    #[command(flatten)]
    pub values: ValueArgs,
    /// Print the chart's `crds/` files before the templates.
    #[arg(long)]
    pub include_crds: bool,
    /// Kubernetes version templates see in `.Capabilities.KubeVersion`.
    #[arg(long, value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// API versions added to `.Capabilities.APIVersions` (comma-separated or repeated).
    #[arg(
        short = 'a',
        long = "api-versions",
        value_delimiter = ',',
        value_name = "VERSION"
    )]
    pub api_versions: Vec<String>,
    /// Render as an upgrade (`.Release.IsUpgrade`) instead of an install.
    #[arg(long)]
    pub is_upgrade: bool,
    /// Only print the manifests of these templates (`templates/x.yaml`, globs allowed).
    #[arg(short = 's', long = "show-only", value_name = "TEMPLATE")]
    pub show_only: Vec<String>,
    /// Do not print hooks.
    #[arg(long)]
    pub no_hooks: bool,
    /// Do not print `test` hooks.
    #[arg(long)]
    pub skip_tests: bool,
    /// Do not validate values against `values.schema.json`.
    #[arg(long)]
    pub skip_schema_validation: bool,
    /// Write each template's documents to DIR/CHART/templates/FILE instead of stdout.
    #[arg(long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<std::path::PathBuf>,
    /// With --output-dir: write under DIR/NAME/ (the release name).
    #[arg(long, requires = "output_dir")]
    pub release_name: bool,
    /// Print Secret `data`/`stringData` values (masked by default).
    #[arg(long)]
    pub show_secrets: bool,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub profiles: ProfileArgs,
    #[command(flatten)]
    pub values: ValueArgs,
    /// Also report values a Helm chart's templates read but nobody set
    /// (Helm charts render them empty; handlebars charts always refuse them).
    #[arg(long)]
    pub strict: bool,
}

/// Options shared by commands that show a diff.
#[derive(Debug, Args, Clone, Default)]
pub struct DiffDisplayArgs {
    /// Show Secret values in diffs (masked by default).
    #[arg(long)]
    pub show_secrets: bool,
    /// Lines of context around each change.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub context_lines: usize,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub profiles: ProfileArgs,
    #[command(flatten)]
    pub values: ValueArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub display: DiffDisplayArgs,
    /// Exit 2 when there are changes, 0 when none, 1 on error.
    #[arg(long)]
    pub exit_code: bool,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub profiles: ProfileArgs,
    #[command(flatten)]
    pub values: ValueArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub display: DiffDisplayArgs,
    #[command(flatten)]
    pub apply: ApplyArgs,
    /// Stop after showing the diff.
    #[arg(long)]
    pub dry_run: bool,
    /// On failure or wait timeout, roll back to the previous deployed revision.
    #[arg(long)]
    pub atomic: bool,
    /// Deploy even when the git tree is dirty and CI is set.
    #[arg(long)]
    pub allow_dirty: bool,
}

/// Options of anything that applies objects.
#[derive(Debug, Args, Clone)]
pub struct ApplyArgs {
    /// Answer yes to the confirmation prompt (required without a terminal).
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Take ownership of fields another field manager owns.
    #[arg(long)]
    pub force_conflicts: bool,
    /// Keep objects the new render no longer has.
    #[arg(long)]
    pub no_prune: bool,
    /// Do not wait for workloads to become ready.
    #[arg(long)]
    pub no_wait: bool,
    /// How long to wait for readiness, e.g. 300s, 5m.
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub timeout: String,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub profiles: ProfileArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Only this release.
    pub release: Option<String>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub profiles: ProfileArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub profiles: ProfileArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub display: DiffDisplayArgs,
    #[command(flatten)]
    pub apply: ApplyArgs,
    /// Release to roll back.
    pub release: String,
    /// Revision to restore (default: the one before the current).
    pub revision: Option<u32>,
    /// Stop after showing the diff.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub profiles: ProfileArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Releases to delete (default: every release of the profiles).
    pub releases: Vec<String>,
    /// Answer yes to the confirmation prompt (required without a terminal).
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Keep the revision records.
    #[arg(long)]
    pub keep_history: bool,
}

/// `berth dependency …`: `helm dependency`'s subcommands.
#[derive(Debug, Subcommand)]
pub enum DependencyCommand {
    /// List the dependencies of CHART and whether `charts/` satisfies each.
    #[command(visible_alias = "ls")]
    List(DependencyListArgs),
    /// Resolve each dependency to the highest matching version, vendor the
    /// archives into `charts/` and write `Chart.lock`.
    #[command(visible_alias = "up")]
    Update(DependencyFetchArgs),
    /// Vendor into `charts/` exactly the versions `Chart.lock` names.
    Build(DependencyFetchArgs),
}

/// `berth dependency list [CHART]`.
#[derive(Debug, Args)]
pub struct DependencyListArgs {
    /// The chart directory.
    #[arg(default_value = ".", value_name = "CHART")]
    pub chart: PathBuf,
}

/// `berth dependency update|build [CHART]`.
#[derive(Debug, Args)]
pub struct DependencyFetchArgs {
    /// The chart directory.
    #[arg(default_value = ".", value_name = "CHART")]
    pub chart: PathBuf,
    /// Talk plain HTTP (not HTTPS) to OCI registries.
    #[arg(long)]
    pub plain_http: bool,
    /// Accepted for Helm compatibility: berth keeps no index cache, every run reads the repositories.
    #[arg(long)]
    pub skip_refresh: bool,
}

/// `berth secrets …`: flags as sops spells them.
#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Encrypt a plaintext YAML/JSON file.
    Encrypt(EncryptArgs),
    /// Decrypt a SOPS file.
    Decrypt(InPlaceArgs),
    /// Edit a SOPS file in $EDITOR (creates it from .sops.yaml rules when missing).
    Edit(FileArg),
    /// Re-encrypt with a new data key.
    Rotate(InPlaceArgs),
    /// Re-wrap the data key for the recipients .sops.yaml now names.
    Updatekeys(UpdateKeysArgs),
    /// Set one value: PATH is a dotted path or sops' ["a"]["b"] form.
    Set(SetArgs),
}

#[derive(Debug, Args)]
pub struct FileArg {
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct InPlaceArgs {
    pub file: PathBuf,
    /// Write the result back to FILE (atomically) instead of stdout.
    #[arg(short = 'i', long = "in-place")]
    pub in_place: bool,
    /// Input format when the extension does not tell (yaml, json).
    #[arg(long = "input-type", value_name = "FORMAT")]
    pub input_type: Option<String>,
}

#[derive(Debug, Args)]
pub struct EncryptArgs {
    #[command(flatten)]
    pub file: InPlaceArgs,
    /// age recipients, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RECIPIENT")]
    pub age: Vec<String>,
    /// AWS KMS key ARNs, comma-separated (ARN+role_arn accepted).
    #[arg(long, value_delimiter = ',', value_name = "ARN")]
    pub kms: Vec<String>,
    /// KMS encryption context, k:v pairs, comma-separated.
    #[arg(long = "encryption-context", value_delimiter = ',', value_name = "K:V")]
    pub encryption_context: Vec<String>,
    /// AWS profile for KMS.
    #[arg(long = "aws-profile", value_name = "NAME")]
    pub aws_profile: Option<String>,
    /// Only encrypt keys matching this regex.
    #[arg(long = "encrypted-regex", value_name = "RE")]
    pub encrypted_regex: Option<String>,
    /// Leave keys matching this regex in plaintext.
    #[arg(long = "unencrypted-regex", value_name = "RE")]
    pub unencrypted_regex: Option<String>,
    /// Only encrypt keys ending with this suffix.
    #[arg(long = "encrypted-suffix", value_name = "SUFFIX")]
    pub encrypted_suffix: Option<String>,
    /// Leave keys ending with this suffix in plaintext.
    #[arg(long = "unencrypted-suffix", value_name = "SUFFIX")]
    pub unencrypted_suffix: Option<String>,
    /// Compute the MAC over encrypted values only.
    #[arg(long = "mac-only-encrypted")]
    pub mac_only_encrypted: bool,
    /// Number of key groups needed to decrypt (Shamir).
    #[arg(long = "shamir-secret-sharing-threshold", value_name = "N")]
    pub shamir_threshold: Option<usize>,
}

#[derive(Debug, Args)]
pub struct UpdateKeysArgs {
    pub file: PathBuf,
    /// Do not ask for confirmation.
    #[arg(short = 'y', long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    pub file: PathBuf,
    /// Dotted path (a.b[0].c) or sops' index form (["a"]["b"][0]).
    pub path: String,
    /// The value, as YAML/JSON (a bare word is a string). May start with `-`: a
    /// value is never mistaken for a flag (and so never echoed in a usage error).
    #[arg(allow_hyphen_values = true)]
    pub value: String,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// Shell to generate completions for.
    pub shell: clap_complete::Shell,
}
