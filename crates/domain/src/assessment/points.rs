//! Points (分值) and the other numbers of an indicator set, kept in hundredths so that a score's
//! lines add up to its points exactly, with no floating-point drift.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Neg, Sub};

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A number with two decimals (points, a percentage, an average rating), stored in hundredths.
/// In a TOML file it is written as a plain number: `4`, `2.5`, `92.75`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Points(i64);

impl Points {
    pub const ZERO: Points = Points(0);

    /// Whole points (or percent, or rating steps).
    pub const fn whole(n: i64) -> Points {
        Points(n * 100)
    }

    pub const fn from_hundredths(h: i64) -> Points {
        Points(h)
    }

    pub const fn hundredths(self) -> i64 {
        self.0
    }

    pub fn min(self, other: Points) -> Points {
        Points(self.0.min(other.0))
    }

    pub fn max(self, other: Points) -> Points {
        Points(self.0.max(other.0))
    }

    /// `self × to / from`, rounded half away from zero; `from` must not be zero.
    pub fn scale(self, to: Points, from: Points) -> Points {
        debug_assert!(from.0 != 0);
        let num = i128::from(self.0) * i128::from(to.0);
        let den = i128::from(from.0);
        let (q, r) = (num / den, num % den);
        let q = if 2 * r.abs() >= den.abs() {
            q + if (num < 0) != (den < 0) { -1 } else { 1 }
        } else {
            q
        };
        Points(q as i64)
    }
}

impl Add for Points {
    type Output = Points;
    fn add(self, rhs: Points) -> Points {
        Points(self.0 + rhs.0)
    }
}

impl Sub for Points {
    type Output = Points;
    fn sub(self, rhs: Points) -> Points {
        Points(self.0 - rhs.0)
    }
}

impl Neg for Points {
    type Output = Points;
    fn neg(self) -> Points {
        Points(-self.0)
    }
}

impl Sum for Points {
    fn sum<I: Iterator<Item = Points>>(iter: I) -> Points {
        Points(iter.map(|p| p.0).sum())
    }
}

impl<'a> Sum<&'a Points> for Points {
    fn sum<I: Iterator<Item = &'a Points>>(iter: I) -> Points {
        iter.copied().sum()
    }
}

/// As officials write it: `4`, `2.5`, `0.57`, `-1`.
impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (int, frac) = (abs / 100, abs % 100);
        match frac {
            0 => write!(f, "{sign}{int}"),
            f2 if f2 % 10 == 0 => write!(f, "{sign}{int}.{}", f2 / 10),
            f2 => write!(f, "{sign}{int}.{f2:02}"),
        }
    }
}

impl Serialize for Points {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.0 as f64 / 100.0)
    }
}

impl<'de> Deserialize<'de> for Points {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Points;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number with at most two decimals (最多两位小数的数值)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Points, E> {
                v.checked_mul(100)
                    .filter(|h| h.abs() <= MAX_HUNDREDTHS)
                    .map(Points)
                    .ok_or_else(|| E::custom(format!("数值过大：{v}")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Points, E> {
                i64::try_from(v)
                    .map_err(|_| E::custom(format!("数值过大：{v}")))
                    .and_then(|v| self.visit_i64(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Points, E> {
                let h = v * 100.0;
                if !h.is_finite() || h.abs() > MAX_HUNDREDTHS as f64 {
                    return Err(E::custom(format!("数值过大：{v}")));
                }
                let r = h.round();
                if (h - r).abs() > 1e-6 {
                    return Err(E::custom(format!("数值最多保留两位小数：{v}")));
                }
                Ok(Points(r as i64))
            }
        }
        d.deserialize_any(V)
    }
}

/// Far beyond any score, far below overflow when two are multiplied.
const MAX_HUNDREDTHS: i64 = 1_000_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_as_officials_write_it() {
        assert_eq!(Points::whole(4).to_string(), "4");
        assert_eq!(Points::from_hundredths(250).to_string(), "2.5");
        assert_eq!(Points::from_hundredths(57).to_string(), "0.57");
        assert_eq!(Points::from_hundredths(-105).to_string(), "-1.05");
    }

    #[test]
    fn scales_with_rounding_half_up() {
        // 1 of 3 points scaled to 4: 1.333… → 1.33
        assert_eq!(
            Points::whole(1).scale(Points::whole(4), Points::whole(3)),
            Points::from_hundredths(133)
        );
        // 2 of 3 scaled to 4: 2.666… → 2.67
        assert_eq!(
            Points::whole(2).scale(Points::whole(4), Points::whole(3)),
            Points::from_hundredths(267)
        );
    }

    #[derive(Deserialize)]
    struct T {
        p: Points,
    }

    #[test]
    fn reads_integers_and_two_decimals_only() {
        let t: T = toml::from_str("p = 4").unwrap();
        assert_eq!(t.p, Points::whole(4));
        let t: T = toml::from_str("p = 92.75").unwrap();
        assert_eq!(t.p, Points::from_hundredths(9275));
        assert!(toml::from_str::<T>("p = 1.234").is_err());
        assert!(toml::from_str::<T>("p = \"4\"").is_err());
    }
}
