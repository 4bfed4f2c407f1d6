//! Looking at a plan: its text form, DOT and Mermaid graphs, and dependency trees.

use super::*;

impl Plan {
    /// What `key` depends on, transitively, as a tree.
    pub fn dependencies(&self, key: &DIKey) -> Option<PlanTree> {
        let root = self.data.find_key(key)?;
        Some(self.tree(root, |s| self.data.dep_steps(s).collect()))
    }

    /// What depends on `key`, transitively, as a tree.
    pub fn dependees(&self, key: &DIKey) -> Option<PlanTree> {
        let root = self.data.find_key(key)?;
        let mut reverse: Vec<Vec<(usize, bool)>> = vec![Vec::new(); self.data.steps.len()];
        for i in 0..self.data.steps.len() {
            for (d, lazy) in self.data.dep_steps(i) {
                reverse[d].push((i, lazy));
            }
        }
        Some(self.tree(root, |s| reverse[s].clone()))
    }

    /// Depth-first, iteratively (chains may be thousands deep); a step already shown is marked
    /// as repeated instead of expanded again, which keeps the tree linear in the plan's size.
    fn tree(&self, root: usize, children: impl Fn(usize) -> Vec<(usize, bool)>) -> PlanTree {
        let mut nodes = Vec::new();
        let mut seen = vec![false; self.data.steps.len()];
        let mut stack = vec![(root, 0usize, false)];
        while let Some((step, depth, lazy)) = stack.pop() {
            let s = &self.data.steps[step];
            let repeated = seen[step];
            nodes.push(TreeNode {
                target: s.target(),
                origin: s.origin(),
                depth,
                lazy,
                repeated,
            });
            if !repeated {
                seen[step] = true;
                for (child, lazy) in children(step).into_iter().rev() {
                    stack.push((child, depth + 1, lazy));
                }
            }
        }
        PlanTree { nodes }
    }

    /// The plan as a Graphviz DOT digraph; edges point from a step to what it depends on.
    pub fn to_dot(&self) -> String {
        let mut out = String::from(
            "digraph plan {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n",
        );
        for (i, s) in self.data.steps.iter().enumerate() {
            let label = [
                s.target().to_string(),
                s.implementation().to_string(),
                s.origin().to_string(),
            ]
            .map(|part| dot_escape(&part))
            .join("\\n");
            let _ = writeln!(out, "  s{i} [label=\"{label}\"];");
        }
        for (i, key) in self.data.imported.iter().enumerate() {
            let label = format!("{}\\n(parent)", dot_escape(&key.to_string()));
            let _ = writeln!(out, "  p{i} [label=\"{label}\", style=dashed];");
        }
        for (i, s) in self.data.steps.iter().enumerate() {
            for (d, lazy) in self.data.dep_steps(i) {
                let style = if lazy {
                    " [style=dashed, label=\"lazy\"]"
                } else {
                    ""
                };
                let _ = writeln!(out, "  s{i} -> s{d}{style};");
            }
            for dep in s.dependencies().iter() {
                if let Some(p) = dep
                    .key()
                    .and_then(|k| self.data.imported.iter().position(|x| x == k))
                {
                    let _ = writeln!(out, "  s{i} -> p{p};");
                }
            }
        }
        out.push_str("}\n");
        out
    }

    /// The plan as a Mermaid flowchart; arrows point from a step to what it depends on.
    pub fn to_mermaid(&self) -> String {
        let escape = |s: String| {
            s.replace('"', "#quot;")
                .replace('<', "#lt;")
                .replace('>', "#gt;")
        };
        let mut out = String::from("flowchart LR\n");
        for (i, s) in self.data.steps.iter().enumerate() {
            let _ = writeln!(
                out,
                "  s{i}[\"{}<br/>{}<br/>{}\"]",
                escape(s.target().to_string()),
                escape(s.implementation().to_string()),
                s.origin()
            );
        }
        for i in 0..self.data.steps.len() {
            for (d, lazy) in self.data.dep_steps(i) {
                let arrow = if lazy { "-.->|lazy|" } else { "-->" };
                let _ = writeln!(out, "  s{i} {arrow} s{d}");
            }
        }
        out
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.data;
        let roots = match &d.roots {
            Some(roots) => roots
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            None => "every binding".to_string(),
        };
        write!(f, "plan: {} steps, roots: {roots}", d.steps.len())?;
        if !d.activation.is_empty() {
            write!(f, ", activation {}", d.activation)?;
        }
        let lines: Vec<(String, String, Origin)> = d
            .steps
            .iter()
            .map(|s| {
                let deps: Vec<String> = s.dependencies().iter().map(|d| d.to_string()).collect();
                let mut how = s.implementation().to_string();
                if !deps.is_empty() {
                    let _ = write!(how, "({})", deps.join(", "));
                } else if let Action::Assemble { .. } = s.action() {
                    let _ = write!(how, " of {}", d.args(s).len());
                }
                if !s.tags().is_empty() {
                    let _ = write!(how, " {}", s.tags());
                }
                (s.target().to_string(), how, s.origin())
            })
            .collect();
        let width = lines.iter().map(|l| l.0.chars().count()).max().unwrap_or(0);
        let how_width = lines.iter().map(|l| l.1.chars().count()).max().unwrap_or(0);
        let num_width = lines.len().to_string().len();
        for (i, (target, how, origin)) in lines.iter().enumerate() {
            write!(
                f,
                "\n  {:>num_width$}. {target:<width$} := {how:<how_width$}  at {origin}",
                i + 1
            )?;
        }
        if !d.imported.is_empty() {
            let imported: Vec<String> = d.imported.iter().map(|k| k.to_string()).collect();
            write!(f, "\n  from the parent locator: {}", imported.join(", "))?;
        }
        if !d.removed.is_empty() {
            write!(f, "\n  left out ({}):", d.removed.len())?;
            for b in &d.removed {
                write!(f, "\n    - {b}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A node of a [`PlanTree`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeNode {
    /// The step.
    pub target: StepTarget,
    /// Where it was bound.
    pub origin: Origin,
    /// Distance from the tree's root.
    pub depth: usize,
    /// Reached through a `Lazy` edge.
    pub lazy: bool,
    /// Already shown earlier in the tree; its children are not repeated.
    pub repeated: bool,
}

/// Dependencies or dependees of a key, as a tree in depth-first order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanTree {
    nodes: Vec<TreeNode>,
}

impl PlanTree {
    /// The nodes in depth-first order; the first is the root.
    pub fn nodes(&self) -> &[TreeNode] {
        &self.nodes
    }

    /// Every distinct step in the tree except the root.
    pub fn targets(&self) -> Vec<&StepTarget> {
        let mut seen = std::collections::HashSet::new();
        self.nodes
            .iter()
            .skip(1)
            .map(|n| &n.target)
            .filter(|t| seen.insert(*t))
            .collect()
    }
}

/// Deeper nodes are drawn at this depth, with their real depth written out, so a chain of
/// thousands of steps prints in lines of bounded length (linear, not quadratic, in its size).
const TREE_MAX_INDENT: usize = 24;
/// Children of one node drawn before the rest are summed up in one line.
const TREE_MAX_CHILDREN: usize = 100;

impl fmt::Display for PlanTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Per depth: children of the current parent drawn, and left out.
        let mut drawn: Vec<usize> = Vec::new();
        let mut left_out: Vec<usize> = Vec::new();
        // Inside the subtree of a child left out: everything deeper than this is left out too.
        let mut skipping_below: Option<usize> = None;
        let line = |f: &mut fmt::Formatter<'_>, depth: usize, lazy: bool| -> fmt::Result {
            f.write_str("\n")?;
            for _ in 1..depth.min(TREE_MAX_INDENT) {
                f.write_str("   ")?;
            }
            f.write_str(if lazy { "└~ " } else { "└─ " })?;
            if depth > TREE_MAX_INDENT {
                write!(f, "[depth {depth}] ")?;
            }
            Ok(())
        };
        let flush = |f: &mut fmt::Formatter<'_>,
                     drawn: &mut Vec<usize>,
                     left_out: &mut Vec<usize>,
                     keep: usize|
         -> fmt::Result {
            while drawn.len() > keep {
                let depth = drawn.len() - 1;
                drawn.pop();
                if let Some(n) = left_out.pop().filter(|&n| n > 0) {
                    line(f, depth, false)?;
                    write!(f, "… and {n} more")?;
                }
            }
            Ok(())
        };
        for (i, n) in self.nodes.iter().enumerate() {
            if i > 0 {
                if skipping_below.is_some_and(|d| n.depth > d) {
                    continue;
                }
                skipping_below = None;
                flush(f, &mut drawn, &mut left_out, n.depth + 1)?;
                drawn.resize(n.depth + 1, 0);
                left_out.resize(n.depth + 1, 0);
                if drawn[n.depth] == TREE_MAX_CHILDREN {
                    left_out[n.depth] += 1;
                    skipping_below = Some(n.depth);
                    continue;
                }
                drawn[n.depth] += 1;
                line(f, n.depth, n.lazy)?;
            }
            write!(f, "{} ({})", n.target, n.origin)?;
            if n.repeated {
                f.write_str(" [see above]")?;
            }
        }
        flush(f, &mut drawn, &mut left_out, 0)
    }
}

/// `s` inside a quoted DOT string.
fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}
