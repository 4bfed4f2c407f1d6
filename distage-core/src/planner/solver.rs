//! distage's axis solver: which of a key's bindings an activation selects.

use crate::activation::Activation;
use crate::axis::AxisInfo;
use crate::binding::Binding;

pub(crate) enum Selection {
    /// This binding (index into the module) is chosen.
    One(usize),
    /// Nothing is left: these bindings were ruled out by the activation.
    Nothing(Vec<usize>),
    /// Several candidates remain and none wins; the axes the activation leaves unset.
    Conflict {
        candidates: Vec<usize>,
        unset_axes: Vec<AxisInfo>,
    },
}

/// The rules, in order:
/// 1. drop bindings tagged with another choice of an axis the activation sets;
/// 2. one left: it is chosen, even if its axes are unset;
/// 3. otherwise the most specific one wins (its tags a strict superset of every other
///    candidate's), and only if the activation sets all of its axes;
/// 4. anything else is a conflict, naming the axes left unset.
///
/// The result depends neither on the order of the candidates nor on the activation's.
pub(crate) fn select(
    candidates: &[u32],
    bindings: &[Binding],
    activation: &Activation,
) -> Selection {
    // The common case, without allocating.
    if let [one] = *candidates {
        let one = one as usize;
        return if activation.contradicts(bindings[one].tags()) {
            Selection::Nothing(vec![one])
        } else {
            Selection::One(one)
        };
    }
    let (alive, ruled_out): (Vec<usize>, Vec<usize>) = candidates
        .iter()
        .map(|&b| b as usize)
        .partition(|&b| !activation.contradicts(bindings[b].tags()));
    match alive.as_slice() {
        [] => return Selection::Nothing(ruled_out),
        [one] => return Selection::One(*one),
        _ => {}
    }
    let most_specific = alive.iter().copied().find(|&c| {
        let tags = bindings[c].tags();
        alive.iter().all(|&o| {
            o == c || (bindings[o].tags().is_subset_of(tags) && bindings[o].tags() != tags)
        })
    });
    let unset = |bs: &mut dyn Iterator<Item = usize>| -> Vec<AxisInfo> {
        let mut axes: Vec<AxisInfo> = bs
            .flat_map(|b| {
                bindings[b]
                    .tags()
                    .iter()
                    .map(|t| t.axis())
                    .collect::<Vec<_>>()
            })
            .filter(|a| !activation.is_set(a))
            .collect();
        axes.sort();
        axes.dedup();
        axes
    };
    match most_specific {
        Some(winner) => {
            let unset_axes = unset(&mut std::iter::once(winner));
            if unset_axes.is_empty() {
                Selection::One(winner)
            } else {
                Selection::Conflict {
                    candidates: alive,
                    unset_axes,
                }
            }
        }
        None => {
            let unset_axes = unset(&mut alive.iter().copied());
            Selection::Conflict {
                candidates: alive,
                unset_axes,
            }
        }
    }
}
