//! Korean-style SME names and valid business registration numbers.
//!
//! A number's middle two digits say what kind of business it is: 81, 86 and 87 are
//! corporations (whose names carry "(주)"), 01–79 sole proprietors. The first three digits
//! are the tax office; the sponsor's steel towns (Pohang, Gwangyang) are over-represented.

use rand::Rng;

/// Two-syllable name stems common in Korean company names.
const STEMS: [&str; 48] = [
    "대성", "한울", "세진", "동양", "삼우", "태광", "영진", "금강", "우진", "한일", "성광", "대원",
    "신흥", "동아", "제일", "광명", "중앙", "서해", "포항", "광양", "경북", "남부", "미래", "새한",
    "고려", "백두", "청우", "진성", "유성", "보광", "덕산", "일신", "해성", "동일", "정우", "화진",
    "부국", "태양", "대진", "명성", "선진", "영남", "오성", "상림", "은성", "가람", "누리", "다온",
];

/// Trades of the sponsor's supply chain and of the SMEs around it.
const TRADES: [&str; 24] = [
    "정밀",
    "산업",
    "테크",
    "기계",
    "금속",
    "엔지니어링",
    "화학",
    "전자",
    "소재",
    "플랜트",
    "중공업",
    "기공",
    "철강",
    "산기",
    "이앤씨",
    "에프에이",
    "오토메이션",
    "로보틱스",
    "코팅",
    "열처리",
    "주물",
    "단조",
    "용접",
    "설비",
];

/// Tax offices of the steel towns: Pohang (506) and Gwangyang (416).
const STEEL_TOWN_OFFICES: [u32; 2] = [506, 416];

/// Corporate type codes (법인).
const CORPORATE_CODES: [u32; 3] = [81, 86, 87];

/// A name and the nine leading digits of its business registration number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Identity {
    pub name: String,
    pub brn_prefix: u32,
}

/// Draws a company: a corporation two times in three, named accordingly.
pub(super) fn identity(rng: &mut impl Rng) -> Identity {
    let stem = STEMS[rng.gen_range(0..STEMS.len())];
    let trade = TRADES[rng.gen_range(0..TRADES.len())];
    let corporate = rng.gen_bool(2.0 / 3.0);
    let name = match (corporate, rng.gen_bool(0.5)) {
        (true, true) => format!("(주){stem}{trade}"),
        (true, false) => format!("{stem}{trade}(주)"),
        (false, _) => format!("{stem}{trade}"),
    };
    let office = if rng.gen_bool(0.5) {
        STEEL_TOWN_OFFICES[rng.gen_range(0..STEEL_TOWN_OFFICES.len())]
    } else {
        rng.gen_range(101..=899)
    };
    let kind = if corporate {
        CORPORATE_CODES[rng.gen_range(0..CORPORATE_CODES.len())]
    } else {
        rng.gen_range(1..=79)
    };
    let serial = rng.gen_range(0..10_000);
    Identity {
        name,
        brn_prefix: office * 1_000_000 + kind * 10_000 + serial,
    }
}

/// A prefix no drawn identity can have (tax office 9xx), numbered from `counter`, for
/// the unlikely case that random draws keep colliding with numbers already used.
pub(super) fn fallback_prefix(counter: u32) -> u32 {
    900_000_000 + counter % 100_000_000
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::domain::Brn;

    #[test]
    fn corporate_names_carry_the_corporate_type_code() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..500 {
            let identity = identity(&mut rng);
            let kind = identity.brn_prefix / 10_000 % 100;
            assert_eq!(
                identity.name.contains("(주)"),
                CORPORATE_CODES.contains(&kind),
                "{identity:?}"
            );
            let brn = Brn::from_prefix(identity.brn_prefix);
            assert_eq!(Brn::parse(&brn.to_string()), Ok(brn));
        }
    }
}
