//! distage's axis solver: which of a key's bindings an activation selects.

use crate::activation::Activation;
use crate::axis::AxisInfo;
use crate::binding::Binding;

use super::BindingIdx;

pub(crate) enum Selection {
    /// This binding (index into the module) is chosen.
    One(BindingIdx),
    /// Nothing is left: these bindings were ruled out by the activation.
    Nothing(Vec<BindingIdx>),
    /// Several candidates remain and none wins; the axes the activation leaves unset.
    Conflict {
        candidates: Vec<BindingIdx>,
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
    candidates: &[BindingIdx],
    bindings: &[Binding],
    activation: &Activation,
) -> Selection {
    // The common case, without allocating.
    let tags = |b: BindingIdx| bindings[b.index()].tags();
    if let [one] = *candidates {
        return if activation.contradicts(tags(one)) {
            Selection::Nothing(vec![one])
        } else {
            Selection::One(one)
        };
    }
    let (alive, ruled_out): (Vec<BindingIdx>, Vec<BindingIdx>) = candidates
        .iter()
        .partition(|&&b| !activation.contradicts(tags(b)));
    match alive.as_slice() {
        [] => return Selection::Nothing(ruled_out),
        [one] => return Selection::One(*one),
        _ => {}
    }
    let most_specific = alive.iter().copied().find(|&c| {
        let own = tags(c);
        alive
            .iter()
            .all(|&o| o == c || (tags(o).is_subset_of(own) && tags(o) != own))
    });
    let unset = |bs: &mut dyn Iterator<Item = BindingIdx>| -> Vec<AxisInfo> {
        let mut axes: Vec<AxisInfo> = bs
            .flat_map(|b| tags(b).iter().map(|t| t.axis()).collect::<Vec<_>>())
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
