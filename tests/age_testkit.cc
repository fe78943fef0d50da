// Runs every vector of the C2SP/CCTV age test kit against libpack's age
// decryptor, with both AEAD backends, and prints how many passed. Vectors
// that need post-quantum (ML-KEM) identities are skipped and listed: they
// cannot be built on libsodium 1.0.18, and xjpack never writes them.
//
// usage: age_testkit DIR
#include <dirent.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "base/io.h"
#include "base/os.h"
#include "formats/age_keys.h"
#include "keys/crypto.h"
#include "libpack/age.h"

namespace {

using namespace xj;

struct Vector {
  std::string name;
  std::string expect;
  std::string payload_sha256;
  std::vector<std::string> identities, passphrases;
  bool armored = false, compressed = false;
  Bytes body;
};

bool Inflate(const Bytes& in, Bytes* out) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return false;
  zs.next_in = const_cast<Bytes::value_type*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  Bytes buf(1 << 16);
  int rc;
  do {
    zs.next_out = buf.data();
    zs.avail_out = static_cast<uInt>(buf.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return false;
    }
    out->insert(out->end(), buf.data(),
                buf.data() + (buf.size() - zs.avail_out));
  } while (rc != Z_STREAM_END);
  inflateEnd(&zs);
  return true;
}

// Returns an error string, or "" when the file parsed.
std::string Parse(const std::string& name, const Bytes& file, Vector* v) {
  v->name = name;
  std::string_view text = AsChars(file);
  std::size_t split = text.find("\n\n");
  if (split == std::string_view::npos)
    return "no blank line after the metadata";
  std::string_view meta = text.substr(0, split + 1);
  v->body.assign(file.begin() + static_cast<long>(split + 2), file.end());
  std::size_t start = 0;
  while (start < meta.size()) {
    std::size_t nl = meta.find('\n', start);
    std::string_view line = meta.substr(start, nl - start);
    start = nl + 1;
    std::size_t colon = line.find(": ");
    if (colon == std::string_view::npos) return "bad metadata line";
    std::string key(line.substr(0, colon)), value(line.substr(colon + 2));
    if (key == "expect")
      v->expect = value;
    else if (key == "payload")
      v->payload_sha256 = value;
    else if (key == "identity")
      v->identities.push_back(value);
    else if (key == "passphrase")
      v->passphrases.push_back(value);
    else if (key == "armored")
      v->armored = value == "yes";
    else if (key == "compressed") {
      if (value != "zlib") return "unknown compression " + value;
      v->compressed = true;
    } else if (key == "file key" || key == "comment") {
      // informational
    } else {
      // An updated kit must not skip vectors silently.
      return "unknown metadata key '" + key + "'";
    }
  }
  if (v->compressed) {
    Bytes raw;
    if (!Inflate(v->body, &raw)) return "zlib body does not inflate";
    v->body = std::move(raw);
  }
  return "";
}

std::string ClassOf(pack::age::Stage stage, const Status& s) {
  if (s.ok()) return "success";
  switch (stage) {
    case pack::age::Stage::kArmor:
      return "armor failure";
    case pack::age::Stage::kHeader:
      return "header failure";
    case pack::age::Stage::kUnwrap:
      return "no match";
    case pack::age::Stage::kMac:
      return "HMAC failure";
    case pack::age::Stage::kPayload:
      return "payload failure";
    case pack::age::Stage::kNone:
      break;
  }
  return "unclassified (" + s.ToString() + ")";
}

// Runs one vector; returns "" on agreement with the kit, else why not.
std::string Run(const Vector& v, keys::AeadBackend backend) {
  std::vector<keys::X25519Identity> ids;
  for (const std::string& text : v.identities) {
    Result<SecretBuffer> secret = formats::age::ParseIdentity(text);
    if (!secret.ok()) return "identity: " + secret.status().ToString();
    Result<keys::X25519Identity> id =
        keys::X25519Identity::FromSecret(std::move(secret).value());
    if (!id.ok()) return "identity: " + id.status().ToString();
    ids.push_back(std::move(id).value());
  }
  pack::age::DecryptOptions options;
  options.backend = backend;
  options.armor = v.armored ? pack::age::ArmorMode::kArmored
                            : pack::age::ArmorMode::kBinary;
  pack::age::Decryptor dec(options);
  for (const auto& id : ids) dec.AddIdentity(&id);
  std::size_t next_pass = 0;
  if (!v.passphrases.empty()) {
    dec.SetPassphraseCallback([&]() -> Result<SecretBuffer> {
      const std::string& p =
          v.passphrases[std::min(next_pass++, v.passphrases.size() - 1)];
      return SecretBuffer::CopyOf(AsBytes(p));
    });
  }
  Bytes released;
  MemorySink sink(&released);
  MemorySource source(v.body);
  Status s = dec.Decrypt(source, sink);
  std::string got = ClassOf(dec.failed_stage(), s);
  if (got != v.expect) {
    return "expected '" + v.expect + "', got '" + got + "': " + s.ToString();
  }
  if (v.expect == "success" || v.expect == "payload failure") {
    std::uint8_t digest[32];
    keys::Sha256(released, digest);
    if (ToHex(ByteSpan(digest, 32)) != v.payload_sha256) {
      return "released plaintext hash differs (" +
             std::to_string(released.size()) + " bytes released)";
    }
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: age_testkit DIR\n");
    return 2;
  }
  std::string dir = argv[1];
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n[0] != '.' && n != "LICENSE") names.push_back(n);
    }
    closedir(d);
  } else {
    std::fprintf(stderr, "age_testkit: cannot open %s\n", dir.c_str());
    return 2;
  }
  std::sort(names.begin(), names.end());
  int passed = 0, failed = 0;
  std::vector<std::string> skipped;
  std::map<std::string, int> by_class;
  for (const std::string& name : names) {
    Result<Bytes> file = os::ReadFile(dir + "/" + name, 64 << 20);
    Vector v;
    std::string err =
        file.ok() ? Parse(name, *file, &v) : file.status().ToString();
    if (!err.empty()) {
      std::printf("FAIL %s: %s\n", name.c_str(), err.c_str());
      ++failed;
      continue;
    }
    bool pq = std::any_of(v.identities.begin(), v.identities.end(),
                          [](const std::string& i) {
                            return i.rfind("AGE-SECRET-KEY-PQ-", 0) == 0;
                          });
    if (pq) {
      skipped.push_back(name);
      continue;
    }
    std::string why;
    for (auto backend :
         {keys::AeadBackend::kOpenSsl, keys::AeadBackend::kSodium}) {
      why = Run(v, backend);
      if (!why.empty()) {
        why +=
            backend == keys::AeadBackend::kSodium ? " [sodium]" : " [openssl]";
        break;
      }
    }
    if (why.empty()) {
      ++passed;
      ++by_class[v.expect];
    } else {
      std::printf("FAIL %s: %s\n", name.c_str(), why.c_str());
      ++failed;
    }
  }
  for (const std::string& s : skipped) {
    std::printf(
        "skip %s: needs a post-quantum (ML-KEM-768) identity, which "
        "libsodium 1.0.18 cannot provide\n",
        s.c_str());
  }
  std::string classes;
  for (const auto& [c, n] : by_class) {
    classes += (classes.empty() ? "" : ", ") + c + " " + std::to_string(n);
  }
  std::printf(
      "age testkit: %d passed, %d failed, %zu skipped (post-quantum) of "
      "%zu vectors [%s]\n",
      passed, failed, skipped.size(), names.size(), classes.c_str());
  return failed == 0 && passed > 0 ? 0 : 1;
}
