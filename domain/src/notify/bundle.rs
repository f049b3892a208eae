//! Quiet rules for a burst: messages due to one channel at the same moment
//! go as one message of several parts (a storm of new cases is one chat
//! message, and one slot of the robot's per-minute limit), as long as the
//! whole stays within what the provider accepts.

use super::ChannelKind;

/// Parts in one bundle at most: more is a wall nobody reads on a phone.
pub const MAX_PARTS: usize = 8;

/// Between two parts of a bundle.
pub const SEPARATOR: &str = "\n— — —\n";

impl ChannelKind {
    /// The longest text one message may carry, in bytes: WeCom's text
    /// message takes 2048; DingTalk and Feishu take more, but a chat
    /// message longer than this is not read; e-mail has room.
    pub fn max_text_bytes(self) -> usize {
        match self {
            ChannelKind::Wecom => 2048,
            ChannelKind::Dingtalk | ChannelKind::Feishu => 4000,
            ChannelKind::Email => 16_000,
        }
    }
}

/// Splits messages (their lengths in bytes, in order) into runs sent as one
/// each: consecutive, at most [`MAX_PARTS`], and within `max_bytes` with a
/// heading of `heading` bytes and [`SEPARATOR`]s. A message too long to
/// share goes alone (it was already fit to be sent alone).
pub fn bundles(lengths: &[usize], heading: usize, max_bytes: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < lengths.len() {
        let mut end = start + 1;
        let mut size = heading + lengths[start];
        while end < lengths.len() && end - start < MAX_PARTS {
            let next = size + SEPARATOR.len() + lengths[end];
            if next > max_bytes {
                break;
            }
            size = next;
            end += 1;
        }
        out.push(start..end);
        start = end;
    }
    out
}

/// One message of several parts: a heading (`"3 updates"`) and the parts.
pub fn join(heading: &str, parts: &[&str]) -> String {
    match parts {
        [one] => one.to_string(),
        _ => format!("{heading}\n{}", parts.join(SEPARATOR)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    #[allow(clippy::single_range_in_vec_init)]
    fn a_burst_is_packed_in_order_within_the_limit() {
        assert_eq!(bundles(&[], 10, 100), vec![]);
        assert_eq!(bundles(&[50], 10, 100), vec![0..1]);
        // 10 + 40 + 13 (the separator's bytes) + 40 = 103 fits; a third does not.
        assert_eq!(SEPARATOR.len(), 13);
        assert_eq!(bundles(&[40, 40, 40], 10, 110), vec![0..2, 2..3]);
        // Too long to share: alone.
        assert_eq!(bundles(&[500, 10, 10], 10, 100), vec![0..1, 1..3]);
        assert_eq!(bundles(&[1; 20], 0, 10_000), vec![0..8, 8..16, 16..20]);
        assert_eq!(join("2 条通知", &["a", "b"]), format!("2 条通知\na{SEPARATOR}b"));
        assert_eq!(join("1 条通知", &["a"]), "a");
    }

    proptest! {
        /// Every message goes exactly once, in order; a shared bundle fits.
        #[test]
        fn bundles_cover_each_message_once(lengths in proptest::collection::vec(1usize..900, 0..40), heading in 0usize..40) {
            let max = ChannelKind::Wecom.max_text_bytes();
            let runs = bundles(&lengths, heading, max);
            let mut next = 0;
            for r in &runs {
                prop_assert_eq!(r.start, next);
                prop_assert!(r.end > r.start && r.len() <= MAX_PARTS);
                let size: usize = heading + lengths[r.clone()].iter().sum::<usize>() + SEPARATOR.len() * (r.len() - 1);
                prop_assert!(r.len() == 1 || size <= max);
                next = r.end;
            }
            prop_assert_eq!(next, lengths.len());
        }
    }
}
