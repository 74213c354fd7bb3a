//! The national algorithms the store relies on: SM3 for digests and the audit chain, HMAC-SM3 for
//! looking up ID numbers without storing them in the clear, SM4-GCM for ID numbers at rest.

use std::path::Path;

use aes_gcm::AesGcm;
use aes_gcm::aead::{Aead, KeyInit};
use hmac::{Hmac, Mac};
use sm3::{Digest, Sm3};

use crate::error::{StoreError, StoreResult};

type Sm4Gcm = AesGcm<sm4::Sm4, aes_gcm::aead::consts::U12>;

pub fn sm3(data: &[u8]) -> [u8; 32] {
    Sm3::digest(data).into()
}

/// The secrets of one installation, derived from a 32-byte master key.
#[derive(Clone)]
pub struct Keys {
    enc: [u8; 16],
    mac: [u8; 32],
    /// Seed of the SM2 key that signs credit reports.
    report: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

fn derive(master: &[u8], label: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sm3> as hmac::KeyInit>::new_from_slice(master)
        .expect("HMAC takes keys of any length");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

impl Keys {
    pub fn from_master(master: &[u8]) -> Keys {
        let enc_full = derive(master, b"probity/id-number/sm4");
        let mut enc = [0u8; 16];
        enc.copy_from_slice(&enc_full[..16]);
        Keys {
            enc,
            mac: derive(master, b"probity/id-number/lookup"),
            report: derive(master, b"probity/report/sm2"),
        }
    }

    /// Reads the master key file, creating it with a fresh random key (mode 0600) on first use.
    pub fn load_or_create(path: &Path) -> StoreResult<Keys> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let master = hex::decode(text.trim()).map_err(|_| {
                    StoreError::Config(format!(
                        "密钥文件 {} 格式错误：应为 64 位十六进制字符",
                        path.display()
                    ))
                })?;
                if master.len() != 32 {
                    return Err(StoreError::Config(format!(
                        "密钥文件 {} 长度错误：应为 32 字节",
                        path.display()
                    )));
                }
                Ok(Keys::from_master(&master))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut master = [0u8; 32];
                getrandom::fill(&mut master)
                    .map_err(|e| StoreError::Config(format!("无法生成密钥：{e}")))?;
                if let Some(dir) = path.parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::Config(format!("无法创建目录 {}：{e}", dir.display()))
                    })?;
                }
                write_private(path, hex::encode(master).as_bytes()).map_err(|e| {
                    StoreError::Config(format!("无法写入密钥文件 {}：{e}", path.display()))
                })?;
                Ok(Keys::from_master(&master))
            }
            Err(e) => Err(StoreError::Config(format!(
                "无法读取密钥文件 {}：{e}",
                path.display()
            ))),
        }
    }

    /// Keyed hash of an ID number: equal numbers give equal hashes, and without the key the hash
    /// says nothing.
    pub fn lookup_hash(&self, id_number: &str) -> Vec<u8> {
        let mut mac = <Hmac<Sm3> as hmac::KeyInit>::new_from_slice(&self.mac)
            .expect("HMAC takes keys of any length");
        mac.update(id_number.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// SM4-GCM: 12-byte random nonce followed by ciphertext and tag.
    pub fn encrypt(&self, plain: &str) -> StoreResult<Vec<u8>> {
        let cipher = Sm4Gcm::new_from_slice(&self.enc)
            .map_err(|_| StoreError::Internal("SM4 密钥长度错误".into()))?;
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce)
            .map_err(|e| StoreError::Internal(format!("随机数生成失败：{e}")))?;
        let ct = cipher
            .encrypt(&nonce.into(), plain.as_bytes())
            .map_err(|_| StoreError::Internal("SM4 加密失败".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    pub fn decrypt(&self, data: &[u8]) -> StoreResult<String> {
        if data.len() < 12 + 16 {
            return Err(StoreError::Internal("密文过短".into()));
        }
        let cipher = Sm4Gcm::new_from_slice(&self.enc)
            .map_err(|_| StoreError::Internal("SM4 密钥长度错误".into()))?;
        let (nonce, ct) = data.split_at(12);
        let nonce: [u8; 12] = nonce
            .try_into()
            .map_err(|_| StoreError::Internal("密文格式错误".into()))?;
        let plain = cipher
            .decrypt(&nonce.into(), ct)
            .map_err(|_| StoreError::Internal("SM4 解密失败：密钥不符或密文被改动".into()))?;
        String::from_utf8(plain).map_err(|_| StoreError::Internal("解密结果不是文本".into()))
    }
}

#[cfg(unix)]
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(data)
}

#[cfg(not(unix))]
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, data)
}

/// The distinguishing identifier (ID) of the report-signing key (GM/T 0009 default).
pub const REPORT_DISTID: &str = "1234567812345678";

impl Keys {
    /// The SM2 key that signs credit reports, derived from the master key: the same installation
    /// always signs with the same key, and no second secret file is kept.
    pub fn report_signing_key(&self) -> StoreResult<sm2::dsa::SigningKey> {
        // A seed that is not a valid scalar (vanishingly rare) is hashed again.
        let mut seed = self.report;
        for _ in 0..16 {
            if let Ok(k) = sm2::dsa::SigningKey::from_slice(REPORT_DISTID, &seed) {
                return Ok(k);
            }
            seed = sm3(&seed);
        }
        Err(StoreError::Internal("无法生成报告签名密钥".into()))
    }

    /// Signs `content` with the report key: the 64-byte SM2 signature (r ‖ s).
    pub fn sign_report(&self, content: &[u8]) -> StoreResult<Vec<u8>> {
        use sm2::dsa::signature::Signer;
        let key = self.report_signing_key()?;
        let sig: sm2::dsa::Signature = key
            .try_sign(content)
            .map_err(|e| StoreError::Internal(format!("报告签名失败：{e}")))?;
        Ok(sig.to_bytes().to_vec())
    }

    /// Whether `signature` is the report key's signature over `content`.
    pub fn verify_report(&self, content: &[u8], signature: &[u8]) -> StoreResult<bool> {
        use sm2::dsa::signature::Verifier;
        let key = self.report_signing_key()?;
        let Ok(sig) = sm2::dsa::Signature::try_from(signature) else {
            return Ok(false);
        };
        Ok(key.verifying_key().verify(content, &sig).is_ok())
    }

    /// The report key's public half, SEC1 uncompressed, in hex: published so that anyone can
    /// check a report's signature.
    pub fn report_public_key_hex(&self) -> StoreResult<String> {
        Ok(hex::encode(
            self.report_signing_key()?.verifying_key().to_sec1_bytes(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm3_matches_the_standard_example() {
        // GB/T 32905-2016, example 1: "abc".
        assert_eq!(
            hex::encode(sm3(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }

    #[test]
    fn sm4_round_trips_and_detects_tampering() {
        let k = Keys::from_master(&[7u8; 32]);
        let ct = k.encrypt("120116198005171234").unwrap();
        assert_eq!(k.decrypt(&ct).unwrap(), "120116198005171234");
        let mut bad = ct.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(k.decrypt(&bad).is_err());
        let other = Keys::from_master(&[8u8; 32]);
        assert!(other.decrypt(&ct).is_err());
        assert_ne!(k.lookup_hash("1"), other.lookup_hash("1"));
        assert_eq!(k.lookup_hash("1"), k.lookup_hash("1"));
    }
}
