//! A locator's instances: one slot per plan step.

use std::sync::OnceLock;

use crate::boxed::Instance;

/// A locator's instances, one per plan step, in one of two forms.
///
/// A sync production that hands nobody the locator it is making (no `LocatorRef` argument, no
/// lazy handle to its own instances) fills its slots before the locator exists, and they are
/// stored as they are: [`Filled`](Slots::Filled). Any other production fills them while others
/// may read them, through a `OnceLock` each ([`Cells`](Slots::Cells)), whose every write is a
/// call and two atomic operations — a tenth of a request scope's run.
pub(crate) enum Slots {
    Filled(Box<[Option<Instance>]>),
    Cells(Box<[OnceLock<Instance>]>),
}

impl Default for Slots {
    fn default() -> Self {
        Slots::Filled(Box::default())
    }
}

impl Slots {
    /// `len` empty slots, to be filled while shared.
    pub(crate) fn cells(len: usize) -> Self {
        Slots::Cells((0..len).map(|_| OnceLock::new()).collect())
    }

    #[inline]
    pub(crate) fn get(&self, slot: usize) -> Option<&Instance> {
        match self {
            Slots::Filled(slots) => slots.get(slot)?.as_ref(),
            Slots::Cells(cells) => cells.get(slot)?.get(),
        }
    }

    /// Fills an empty slot of a locator being produced while shared (each step runs once);
    /// `false` when the slot cannot take it (filled slots are never written again).
    pub(crate) fn set(&self, slot: usize, instance: Instance) -> bool {
        match self {
            Slots::Cells(cells) => cells
                .get(slot)
                .is_some_and(|cell| cell.set(instance).is_ok()),
            Slots::Filled(_) => false,
        }
    }

    /// Empties a slot.
    pub(crate) fn take(&mut self, slot: usize) -> Option<Instance> {
        match self {
            Slots::Filled(slots) => slots.get_mut(slot)?.take(),
            Slots::Cells(cells) => cells.get_mut(slot)?.take(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Slots::Filled(slots) => slots.len(),
            Slots::Cells(cells) => cells.len(),
        }
    }

    /// Empties every slot, the last first (the reverse of plan order), calling `each` with what
    /// each held.
    pub(crate) fn drain_rev(&mut self, mut each: impl FnMut(Instance)) {
        for slot in (0..self.len()).rev() {
            if let Some(instance) = self.take(slot) {
                each(instance);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn both_forms_read_take_and_drain_alike() {
        let filled = Slots::Filled(vec![Some(Instance::shared(Arc::new(1u8))), None].into());
        let cells = Slots::cells(2);
        assert!(cells.set(0, Instance::shared(Arc::new(1u8))));
        assert!(
            !cells.set(0, Instance::shared(Arc::new(2u8))),
            "a slot is filled once"
        );
        assert!(!filled.set(1, Instance::shared(Arc::new(2u8))));
        for mut slots in [filled, cells] {
            assert_eq!(slots.len(), 2);
            assert_eq!(slots.get(0).and_then(|i| i.as_ref::<u8>()), Some(&1));
            assert!(slots.get(1).is_none() && slots.get(2).is_none());
            let mut drained = Vec::new();
            slots.drain_rev(|i| drained.push(i));
            assert_eq!(drained.len(), 1);
            assert!(slots.get(0).is_none());
        }
    }
}
