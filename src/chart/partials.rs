//! Static checks of how a chart's native partials (`{{> name}}`) refer to each
//! other, done once at load: partials that include each other (which handlebars
//! would follow until the stack overflows) are refused naming the cycle, and
//! every name written literally is remembered so that render errors may print
//! it. Knows nothing of values or rendering; `include`/`tpl` nesting is bounded
//! at render time instead (see `helpers::MAX_INCLUDE_DEPTH`).

use std::collections::{BTreeMap, BTreeSet};

use handlebars::template::{Parameter, Template, TemplateElement};

/// A partial reference found in a template.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Ref {
    /// `{{> name}}`: the name as written.
    Static(String),
    /// `{{> (expression)}}`: computed at render time.
    Dynamic,
}

/// Every native partial reference in `t`, nested blocks included.
pub(crate) fn refs(t: &Template) -> BTreeSet<Ref> {
    let mut out = BTreeSet::new();
    walk(t, &mut out);
    out
}

fn walk(t: &Template, out: &mut BTreeSet<Ref>) {
    for e in &t.elements {
        match e {
            TemplateElement::PartialExpression(d) | TemplateElement::PartialBlock(d) => {
                out.insert(match &d.name {
                    Parameter::Name(n) => Ref::Static(n.clone()),
                    Parameter::Path(handlebars::Path::Relative((_, raw)))
                    | Parameter::Path(handlebars::Path::Local((_, _, raw))) => {
                        Ref::Static(raw.clone())
                    }
                    Parameter::Literal(serde_json::Value::String(s)) => Ref::Static(s.clone()),
                    _ => Ref::Dynamic,
                });
                if let Some(inner) = &d.template {
                    walk(inner, out);
                }
            }
            TemplateElement::DecoratorBlock(d) => {
                if let Some(inner) = &d.template {
                    walk(inner, out);
                }
            }
            TemplateElement::HelperBlock(h)
            | TemplateElement::Expression(h)
            | TemplateElement::HtmlExpression(h) => {
                for inner in [&h.template, &h.inverse].into_iter().flatten() {
                    walk(inner, out);
                }
            }
            _ => {}
        }
    }
}

/// A problem with how partials refer to each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GraphError {
    /// Partials that include each other: the names in order, the first repeated last.
    Cycle(Vec<String>),
    /// A partial that includes a partial whose name is computed at render time
    /// (which could be itself: refused, as it cannot be checked).
    DynamicInPartial(String),
}

/// Check the reference graph of the partials (`name → references`).
pub(crate) fn check(graph: &BTreeMap<String, BTreeSet<Ref>>) -> Result<(), GraphError> {
    for (name, refs) in graph {
        if refs.contains(&Ref::Dynamic) {
            return Err(GraphError::DynamicInPartial(name.clone()));
        }
    }
    // Iterative depth-first search (a long chain must not overflow the stack).
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    let mut marks: BTreeMap<&str, Mark> = BTreeMap::new();
    for start in graph.keys() {
        if marks.contains_key(start.as_str()) {
            continue;
        }
        let mut stack: Vec<(&str, Vec<&str>)> = vec![(start, children(graph, start))];
        marks.insert(start, Mark::Open);
        while let Some((node, pending)) = stack.last_mut() {
            let node = *node;
            match pending.pop() {
                Some(next) => match marks.get(next) {
                    Some(Mark::Open) => {
                        let from = stack.iter().position(|(n, _)| *n == next).unwrap_or(0);
                        let mut cycle: Vec<String> =
                            stack[from..].iter().map(|(n, _)| n.to_string()).collect();
                        cycle.push(next.to_string());
                        return Err(GraphError::Cycle(cycle));
                    }
                    Some(Mark::Done) => {}
                    None => {
                        marks.insert(next, Mark::Open);
                        stack.push((next, children(graph, next)));
                    }
                },
                None => {
                    marks.insert(node, Mark::Done);
                    stack.pop();
                }
            }
        }
    }
    Ok(())
}

/// The partials `name` refers to that exist (unknown names fail at render time).
fn children<'g>(graph: &'g BTreeMap<String, BTreeSet<Ref>>, name: &str) -> Vec<&'g str> {
    graph
        .get(name)
        .into_iter()
        .flatten()
        .filter_map(|r| match r {
            Ref::Static(n) => graph.get_key_value(n.as_str()).map(|(k, _)| k.as_str()),
            Ref::Dynamic => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(parts: &[(&str, &str)]) -> BTreeMap<String, BTreeSet<Ref>> {
        parts
            .iter()
            .map(|(n, body)| {
                let t = Template::compile(body).expect("template compiles");
                (n.to_string(), refs(&t))
            })
            .collect()
    }

    #[test]
    fn partials_including_each_other_are_a_cycle() {
        let g = graph(&[("a", "x{{> b}}"), ("b", "{{#if x}}{{> a}}{{/if}}")]);
        assert_eq!(
            check(&g),
            Err(GraphError::Cycle(vec!["a".into(), "b".into(), "a".into()]))
        );
    }

    #[test]
    fn a_partial_including_itself_is_a_cycle() {
        let g = graph(&[("a", "{{#each l}}{{> a}}{{/each}}")]);
        assert_eq!(
            check(&g),
            Err(GraphError::Cycle(vec!["a".into(), "a".into()]))
        );
    }

    #[test]
    fn chains_and_diamonds_are_fine() {
        let g = graph(&[
            ("a", "{{> b}}{{> c}}"),
            ("b", "{{> d}}"),
            ("c", "{{> d}}"),
            ("d", "leaf {{> missing}}"),
        ]);
        assert_eq!(check(&g), Ok(()));
    }

    #[test]
    fn dynamic_names_inside_partials_are_refused() {
        let g = graph(&[("a", "{{> (lookup this \"n\")}}")]);
        assert_eq!(check(&g), Err(GraphError::DynamicInPartial("a".into())));
    }
}
