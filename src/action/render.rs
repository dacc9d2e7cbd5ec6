//! `berth render`, and the render pipeline every cluster command starts with:
//! workspace → plan → values (+ secrets, in memory) → templates → objects in
//! install order, labelled and namespaced. [`render`] is the library entry
//! point (diff, deploy and rollback call it); [`run`] is the command.

use crate::ui::one_line;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Serialize;

use crate::action::Exit;
use crate::chart::any::{AnyChart, AnyChartError};
use crate::chart::helm::HelmChart;
use crate::chart::{Chart, ProfileInfo, ReleaseInfo, TemplateContext};
use crate::cli::{GlobalArgs, RenderArgs, ValueArgs};
use crate::git::GitInfo;
use crate::manifest::Object;
use crate::ui::Ui;
use crate::values::{CommandLineValues, Loader};
use crate::workspace::{Plan, ReleasePlan, Workspace};

/// What to render.
pub struct RenderRequest<'a> {
    /// `--workspace`.
    pub workspace: Option<&'a Path>,
    pub profiles: &'a [String],
    pub values: &'a ValueArgs,
    /// `-n`: override every release's namespace.
    pub namespace: Option<&'a str>,
    /// Next revision per release (absent = 1, `isUpgrade` false).
    pub revisions: &'a BTreeMap<String, u32>,
    /// `lint --strict`: Helm charts render with `missingkey=error`, so a
    /// missing value is a finding (Helm's own render leaves it empty).
    pub strict: bool,
}

/// A rendered plan.
#[derive(Debug)]
pub struct Rendered {
    pub workspace: Workspace,
    pub plan: Plan,
    pub git: GitInfo,
    /// In plan order.
    pub releases: Vec<RenderedRelease>,
}

/// One rendered release.
#[derive(Debug, Clone)]
pub struct RenderedRelease {
    pub name: String,
    pub namespace: String,
    pub profile: String,
    pub chart_name: String,
    pub chart_version: String,
    pub needs: Vec<String>,
    /// Install order, labelled, namespaced.
    pub objects: Vec<Object>,
}

impl RenderedRelease {
    /// The release as one multi-document YAML manifest.
    pub fn manifest(&self) -> String {
        crate::manifest::to_yaml(&self.objects)
    }
}

/// Render every release of the requested profiles. Stops at the first release
/// with problems, reporting all of that release's problems.
pub fn render(req: &RenderRequest) -> anyhow::Result<Rendered> {
    let mut session = Session::open(req)?;
    let results = session.render_all();
    let mut releases = Vec::with_capacity(results.len());
    for (plan, result) in session.plan.releases.iter().zip(results) {
        match result {
            Ok(r) => releases.push(r),
            Err(problems) => return Err(problems_error(&plan.name, &problems)),
        }
    }
    check_duplicates(&releases).map_err(|p| anyhow::anyhow!(p.join("\n")))?;
    Ok(Rendered {
        workspace: session.workspace,
        plan: session.plan,
        git: session.git,
        releases,
    })
}

fn problems_error(release: &str, problems: &[String]) -> anyhow::Error {
    if problems.len() == 1 {
        anyhow::anyhow!("release `{release}`: {}", problems[0])
    } else {
        anyhow::anyhow!(
            "release `{release}`: {} problems:\n{}",
            problems.len(),
            problems
                .iter()
                .map(|p| format!("  - {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    }
}

/// An object rendered twice (by two templates or two releases) is an error.
pub(crate) fn check_duplicates(releases: &[RenderedRelease]) -> Result<(), Vec<String>> {
    let mut seen: HashMap<crate::manifest::ObjectRef, (String, String)> = HashMap::new();
    let mut problems = Vec::new();
    for r in releases {
        for o in &r.objects {
            let key = o.object_ref();
            if let Some((rel, src)) = seen.get(&key) {
                problems.push(format!(
                    "{key} is rendered twice: by release `{rel}` ({src}) and release `{}` ({})",
                    r.name, o.source
                ));
            } else {
                seen.insert(key, (r.name.clone(), o.source.clone()));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Shared state of one render: workspace, plan, git facts, command-line values,
/// and caches of values files and charts.
pub(crate) struct Session<'a> {
    pub workspace: Workspace,
    pub plan: Plan,
    pub git: GitInfo,
    cli: CommandLineValues,
    loader: Loader,
    charts: HashMap<PathBuf, Result<AnyChart, Vec<String>>>,
    revisions: &'a BTreeMap<String, u32>,
    strict: bool,
}

impl<'a> Session<'a> {
    pub(crate) fn open(req: &RenderRequest<'a>) -> anyhow::Result<Session<'a>> {
        let workspace = Workspace::discover(req.workspace)?;
        let mut plan = workspace.plan(req.profiles)?;
        if let Some(ns) = req.namespace {
            if let Some(problem) = crate::workspace::names::namespace_problem(ns) {
                anyhow::bail!("-n/--namespace: {problem}");
            }
            for r in &mut plan.releases {
                r.namespace = ns.to_string();
            }
        }
        let git = GitInfo::discover(&workspace.root)?;
        let cli = CommandLineValues::from_args(req.values)?;
        let loader = Loader::new(&workspace.root);
        Ok(Session {
            workspace,
            plan,
            git,
            cli,
            loader,
            charts: HashMap::new(),
            revisions: req.revisions,
            strict: req.strict,
        })
    }

    /// Render every release of the plan, in plan order; each result carries every
    /// problem found for that release. Charts load and releases render on all
    /// cores; values (and secrets, decrypted once per file) are read in order.
    pub(crate) fn render_all(&mut self) -> Vec<Result<RenderedRelease, Vec<String>>> {
        let plans = self.plan.releases.clone();
        let root = self.workspace.root.clone();
        let mut missing: Vec<PathBuf> = Vec::new();
        for plan in &plans {
            if !self.charts.contains_key(&plan.chart) && !missing.contains(&plan.chart) {
                missing.push(plan.chart.clone());
            }
        }
        let loaded = par_map(&missing, |path| {
            AnyChart::load(path, &root).map_err(|e| match e {
                AnyChartError::Berth(errs) => errs.iter().map(|e| one_line(e)).collect(),
                AnyChartError::Helm(e) => vec![one_line(&*e)],
            })
        });
        self.charts.extend(missing.into_iter().zip(loaded));

        let mut jobs = Vec::with_capacity(plans.len());
        for plan in &plans {
            let job = match &self.charts[&plan.chart] {
                Err(problems) => Err(problems.clone()),
                Ok(chart) => {
                    let values = match chart {
                        AnyChart::Berth(c) => self
                            .loader
                            .release_values(&c.meta.name, &c.values, &plan.sources, &self.cli)
                            .map(|v| (v, None))
                            .map_err(|e| vec![one_line(&e)]),
                        AnyChart::Helm(c) => {
                            helm_release_values(&mut self.loader, c, plan, &self.cli)
                        }
                    };
                    values.and_then(|(values, processed)| match (&processed, chart.schema()) {
                        (Some(helm), _) => crate::chart::helm::schema::validate(helm, &values)
                            .map(|()| (values, processed))
                            .map_err(|e| vec![one_line(&e)]),
                        (None, Some((path, schema))) => {
                            crate::values::validate_schema(&path, schema, &values)
                                .map(|()| (values, processed))
                                .map_err(|e| vec![one_line(&e)])
                        }
                        (None, None) => Ok((values, processed)),
                    })
                }
            };
            jobs.push((plan, job));
        }

        let charts = &self.charts;
        let git = &self.git;
        let revisions = self.revisions;
        let strict = self.strict;
        par_map(&jobs, |(plan, job)| {
            let (values, processed) = job.as_ref().map_err(Clone::clone)?;
            let revision = revisions.get(&plan.name).copied();
            match (
                charts[&plan.chart].as_ref().map_err(Clone::clone)?,
                processed,
            ) {
                (AnyChart::Berth(chart), _) => {
                    render_release(chart, plan, values.clone(), git, revision)
                }
                (AnyChart::Helm(_), Some(chart)) => {
                    render_helm_release(chart, plan, values, revision, strict)
                }
                (AnyChart::Helm(chart), None) => {
                    render_helm_release(chart, plan, values, revision, strict)
                }
            }
        })
    }
}

/// Render one release whose values are ready.
fn render_release(
    chart: &Chart,
    plan: &ReleasePlan,
    values: serde_json::Value,
    git: &GitInfo,
    revision: Option<u32>,
) -> Result<RenderedRelease, Vec<String>> {
    let extra = TemplateContext {
        release: ReleaseInfo {
            name: &plan.name,
            namespace: &plan.namespace,
            revision: revision.unwrap_or(1),
            is_upgrade: revision.is_some_and(|r| r > 1),
        },
        profile: ProfileInfo {
            name: &plan.profile,
            description: &plan.profile_description,
        },
        git,
    };
    let context = chart.context(values, &extra);
    let (mut objects, errors) = chart.render(context);
    if !errors.is_empty() {
        return Err(errors.iter().map(|e| one_line(e)).collect());
    }
    crate::manifest::prepare(&mut objects, &plan.name, &plan.profile, &plan.namespace);
    Ok(RenderedRelease {
        name: plan.name.clone(),
        namespace: plan.namespace.clone(),
        profile: plan.profile.clone(),
        chart_name: chart.meta.name.clone(),
        chart_version: chart.meta.version.clone(),
        needs: plan.needs.clone(),
        objects,
    })
}

/// The values of a release of a Helm chart, as `helm template` computes
/// them: Chart.yaml's dependencies checked, Helm's `ProcessDependencies`
/// run with the user's values (the processed chart is returned: enabled,
/// aliased subcharts and imported values), then the user's values coalesced
/// onto it.
fn helm_release_values(
    loader: &mut Loader,
    chart: &HelmChart,
    plan: &ReleasePlan,
    cli: &CommandLineValues,
) -> Result<(serde_json::Value, Option<Box<HelmChart>>), Vec<String>> {
    chart.check_dependencies().map_err(|e| vec![e])?;
    let user = loader
        .user_values(&plan.sources, cli)
        .map_err(|e| vec![one_line(&e)])?;
    let processed =
        crate::chart::helm::dependencies::process(chart, &user).map_err(|e| vec![one_line(&e)])?;
    for warning in processed.warnings {
        loader.warn_once(warning);
    }
    let values = loader
        .coalesce_user(&processed.chart.defaults(), user)
        .map_err(|e| vec![one_line(&e)])?;
    Ok((values, Some(Box::new(processed.chart))))
}

/// Render one release of a Helm chart whose values are ready: Helm's engine,
/// then Helm's manifest sorting; the resources become the release's objects.
/// (Hooks are not deployed yet: a chart's hooks are left out of the objects.)
fn render_helm_release(
    chart: &HelmChart,
    plan: &ReleasePlan,
    values: &serde_json::Value,
    revision: Option<u32>,
    strict: bool,
) -> Result<RenderedRelease, Vec<String>> {
    use crate::template::go::render::{ClusterInfo, Render};
    let render = Render {
        chart,
        values,
        release: crate::template::go::render::ReleaseInfo {
            name: plan.name.clone(),
            namespace: plan.namespace.clone(),
            revision: i64::from(revision.unwrap_or(1)),
            is_install: revision.is_none_or(|r| r <= 1),
            is_upgrade: revision.is_some_and(|r| r > 1),
        },
        cluster: ClusterInfo::default(),
        lookup: None,
        strict,
    };
    let mut files = render.run().map_err(|e| vec![e.to_string()])?;
    files.retain(|path, _| !path.ends_with("NOTES.txt"));
    let (_hooks, manifests) =
        crate::manifest::helm::sort_manifests(&files).map_err(|e| vec![e.to_string()])?;
    let mut objects = Vec::new();
    let mut problems = Vec::new();
    for m in &manifests {
        match crate::manifest::parse_helm_documents(&m.content, &m.source) {
            Ok(mut objs) => objects.append(&mut objs),
            Err(e) => problems.push(one_line(&e)),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    crate::manifest::prepare_helm(&mut objects, &plan.name, &plan.profile, &plan.namespace);
    Ok(RenderedRelease {
        name: plan.name.clone(),
        namespace: plan.namespace.clone(),
        profile: plan.profile.clone(),
        chart_name: chart.metadata.name.clone(),
        chart_version: chart.metadata.version.clone(),
        needs: plan.needs.clone(),
        objects,
    })
}

/// Stack of each render worker: template nesting is bounded
/// (`chart::helpers::MAX_INCLUDE_DEPTH`), but a debug build's handlebars
/// frames are large; the reservation is virtual memory, touched only as used.
const WORKER_STACK: usize = 256 << 20;

/// `f` over `items` on up to as many threads as there are cores; results in
/// item order. Work runs on worker threads with a [`WORKER_STACK`] stack.
pub(crate) fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if items.is_empty() {
        return Vec::new();
    }
    let threads = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
        .min(items.len())
        .max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            done.push((i, f(item)));
        }
        done
    };
    let mut slots: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .stack_size(WORKER_STACK)
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        // No thread could start: do the work here.
        let here = if workers.is_empty() {
            work()
        } else {
            Vec::new()
        };
        workers
            .into_iter()
            .flat_map(|w| match w.join() {
                Ok(done) => done,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .chain(here)
            .collect()
    });
    slots.sort_by_key(|(i, _)| *i);
    slots.into_iter().map(|(_, r)| r).collect()
}

/// `--output json` of `berth render` (documented in docs/output/render.md).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RenderJson<'a> {
    profiles: &'a [String],
    context: Option<&'a str>,
    git: GitJson<'a>,
    releases: Vec<ReleaseJson<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GitJson<'a> {
    sha: &'a str,
    short_sha: &'a str,
    tag: &'a str,
    branch: &'a str,
    dirty: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReleaseJson<'a> {
    name: &'a str,
    namespace: &'a str,
    profile: &'a str,
    chart: ChartJson<'a>,
    needs: &'a [String],
    objects: Vec<ObjectJson<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChartJson<'a> {
    name: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ObjectJson<'a> {
    api_version: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
    source: &'a str,
    object: &'a serde_json::Value,
}

/// Run `berth render`.
pub fn run(ui: &Ui, global: &GlobalArgs, args: &RenderArgs) -> anyhow::Result<Exit> {
    let revisions = BTreeMap::new();
    let mut rendered = render(&RenderRequest {
        strict: false,
        workspace: global.workspace.as_deref(),
        profiles: &args.profiles.profiles,
        values: &args.values,
        namespace: None,
        revisions: &revisions,
    })?;
    if !args.show_secrets {
        let masked: usize = rendered
            .releases
            .iter_mut()
            .map(|r| crate::manifest::mask_secret_values(&mut r.objects))
            .sum();
        if masked > 0 {
            ui.info(format!(
                "{masked} Secret value(s) masked; pass --show-secrets to print them"
            ));
        }
    }
    let count: usize = rendered.releases.iter().map(|r| r.objects.len()).sum();
    let manifests = if ui.json() && args.output_dir.is_none() {
        Vec::new()
    } else {
        par_map(&rendered.releases, RenderedRelease::manifest)
    };

    if let Some(dir) = &args.output_dir {
        write_dir(dir, &rendered, &manifests)?;
        for r in &rendered.releases {
            ui.info(format!(
                "wrote {} ({} objects)",
                dir.join(format!("{}.yaml", r.name)).display(),
                r.objects.len()
            ));
        }
    }
    if ui.json() {
        ui.print_json(&to_json(&rendered))?;
    } else if args.output_dir.is_none() {
        let mut out = std::io::stdout().lock();
        for m in &manifests {
            out.write_all(ui.masked(m).as_bytes())?;
        }
        out.flush()?;
    }
    ui.detail(format!(
        "rendered {} releases, {count} objects",
        rendered.releases.len()
    ));
    Ok(Exit::Ok)
}

fn to_json(rendered: &Rendered) -> RenderJson<'_> {
    RenderJson {
        profiles: &rendered.plan.profiles,
        context: rendered.plan.context.as_deref(),
        git: GitJson {
            sha: &rendered.git.sha,
            short_sha: &rendered.git.short_sha,
            tag: &rendered.git.tag,
            branch: &rendered.git.branch,
            dirty: rendered.git.dirty,
        },
        releases: rendered
            .releases
            .iter()
            .map(|r| ReleaseJson {
                name: &r.name,
                namespace: &r.namespace,
                profile: &r.profile,
                chart: ChartJson {
                    name: &r.chart_name,
                    version: &r.chart_version,
                },
                needs: &r.needs,
                objects: r
                    .objects
                    .iter()
                    .map(|o| ObjectJson {
                        api_version: o.api_version(),
                        kind: o.kind(),
                        namespace: o.namespace(),
                        name: o.name(),
                        source: &o.source,
                        object: &o.body,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Write one `<release>.yaml` per release under `dir`, each atomically (written
/// beside, then renamed). Everything was rendered before the first write.
fn write_dir(dir: &Path, rendered: &Rendered, manifests: &[String]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (r, manifest) in rendered.releases.iter().zip(manifests) {
        // Names are validated at workspace load; this keeps every write inside
        // `dir` whatever a caller passes (no separator, no `..`).
        let file = format!("{}.yaml", r.name);
        let mut parts = Path::new(&file).components();
        let single = matches!(
            (parts.next(), parts.next()),
            (Some(std::path::Component::Normal(_)), None)
        );
        if !single || r.name.contains(['/', '\\']) {
            anyhow::bail!(
                "release `{}`: its name cannot be used as a file name in {}",
                r.name,
                dir.display()
            );
        }
        let target = dir.join(file);
        let mut tmp = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("cannot write in {}", dir.display()))?;
        tmp.write_all(crate::ui::mask::mask(manifest).as_bytes())
            .with_context(|| format!("cannot write {}", target.display()))?;
        tmp.persist(&target)
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    Ok(())
}
