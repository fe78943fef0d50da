#include "libpack/merge.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "base/bytes.h"
#include "base/os.h"
#include "bundle/authenticate.h"
#include "bundle/held.h"
#include "bundle/held_schools.h"
#include "formats/audit.h"
#include "libpack/key_changes.h"
#include "libpack/office.h"
#include "libpack/stick.h"
#include "libpack/trust.h"

namespace xj::pack {
namespace {

namespace ft = formats::trust;

using bundle::CollectLeaves;
using bundle::CountCache;
using bundle::Leaf;
using bundle::ReadColumns;
using bundle::SchoolCode;
using bundle::SummaryOf;

// Every regular file below `dir`, as paths relative to it.
Status WalkFiles(const std::string& dir, const std::string& rel,
                 std::vector<std::string>* out) {
  XJ_ASSIGN_OR_RETURN(os::Dir d,
                      os::Dir::Open(rel.empty() ? dir : dir + "/" + rel));
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> names, d.List());
  for (const std::string& n : names) {
    std::string r = rel.empty() ? n : rel + "/" + n;
    switch (d.KindOf(n)) {
      case os::Dir::Kind::kFile:
        out->push_back(r);
        break;
      case os::Dir::Kind::kFolder:
        XJ_RETURN_IF_ERROR(WalkFiles(dir, r, out));
        break;
      default:
        return Error(Code::kRejected, "{}/{} is neither file nor folder", dir,
                     r);
    }
  }
  return Status::Ok();
}

Status WriteNew(const std::string& path, std::string_view content) {
  XJ_ASSIGN_OR_RETURN(os::AtomicFile f,
                      os::AtomicFile::Create(path, 0600, os::Replace::kNever));
  XJ_RETURN_IF_ERROR(f.sink().Write(AsBytes(content)));
  return f.Commit();
}

// Findings forwarded to the caller and kept for audit.json.
class AuditSink final : public registry::FindingSink {
 public:
  explicit AuditSink(registry::FindingSink* next) : next_(next) {}
  void Report(const registry::Finding& f) override {
    next_->Report(f);
    bool error = f.severity() == registry::Severity::kError;
    (error ? errors : warnings)++;
    auto& [e, w] = by_rule[std::string(registry::RuleId(f.rule))];
    (error ? e : w)++;
    if (f.rule == registry::Rule::kMergeMissing) silent.insert(f.value);
    if (f.rule == registry::Rule::kMergeCertChanged ||
        f.rule == registry::Rule::kMergeKeyChanged) {
      changed.insert(f.value);
    }
    findings.push_back({error, f.file, f.line, f.field,
                        std::string(registry::RuleId(f.rule)), f.message,
                        f.value});
  }
  std::uint64_t errors = 0, warnings = 0;
  std::vector<formats::audit::Finding> findings;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> by_rule;
  std::set<std::string> silent, changed;

  // What the statement signs of the audit.
  ft::AuditSummary Summary() const {
    ft::AuditSummary s{errors,
                       warnings,
                       {},
                       {silent.begin(), silent.end()},
                       {changed.begin(), changed.end()}};
    for (const auto& [rule, n] : by_rule)
      s.rules.push_back({rule, n.first, n.second});
    return s;
  }

 private:
  registry::FindingSink* next_;
};

// What a merge gathers from its children, one child at a time.
struct Gathered {
  MergeResult result;
  BundleContent content;
  std::string kind;
  std::set<std::string> senders;
  std::vector<BundleReport> accepted;  // new to the ledger
  std::vector<HeldStatement> held_new;
  std::vector<Leaf> leaves;
  std::vector<trust::VerifiedCrl> crls;  // the children were judged with
  std::vector<HeldStatement> signed_by;  // every child, at every depth
};

// A first look at every child's statement, before anything is decrypted:
// a merge holds one bundle per sender.
Status OnePerSender(const std::vector<std::vector<std::string>>& children) {
  std::map<std::string, std::string> first;
  for (const std::vector<std::string>& dirs : children) {
    Result<BundleReport> look = Inspect(dirs, TrustSource{});
    if (!look.ok()) return look.status().WithContext(dirs[0]);
    const ft::BundleStatement& st = look->statement;
    auto [it, fresh] = first.emplace(st.sender, st.id);
    if (!fresh) {
      return Error(Code::kRejected,
                   "two bundles from {} ({} and {}): a merge holds one per "
                   "sender",
                   st.sender, it->second, st.id);
    }
  }
  return Status::Ok();
}

// Whether an unpacked child may be merged here: addressed to this office,
// sent from below it, the one bundle of its sender, of the merge's period
// and kind, and no replay or equivocation of its stream.
Status Admit(const MergeRequest& req, const std::string& sender,
             const BundleReport& r, Gathered* g) {
  const ft::BundleStatement& st = r.statement;
  if (st.recipient != sender) {
    return Error(Code::kRejected,
                 "{}: only its addressee {} may merge it, and this office "
                 "is {}",
                 st.id, st.recipient, sender);
  }
  XJ_RETURN_IF_ERROR(bundle::CheckRoute(r, sender));
  if (!g->senders.insert(st.sender).second) {
    return Error(Code::kRejected,
                 "two bundles from {} (one is {}): a merge holds one per "
                 "sender",
                 st.sender, st.id);
  }
  if (g->content.period.empty()) {
    g->content.period = st.period;
    g->kind = st.kind;
  } else if (st.period != g->content.period || st.kind != g->kind) {
    return Error(Code::kRejected,
                 "{} is {} {}, and the others are {} {}: a merge has one "
                 "period and kind",
                 st.id, st.kind, st.period, g->kind, g->content.period);
  }
  // The child's stream: a replayed or equivocating child is refused.
  XJ_ASSIGN_OR_RETURN(Admission a,
                      req.ledger->Admit(st, r.statement_sha256, false));
  if (a.kind == Admission::kNew) g->accepted.push_back(r);
  XJ_ASSIGN_OR_RETURN(auto last, req.ledger->LastOf(st.sender, st.recipient));
  if (a.kind == Admission::kAlreadyAccepted && last.first > st.seq) {
    return Error(Code::kRejected,
                 "replay: bundle {} has seq {}, and this office has since "
                 "accepted seq {} from {}; a merge holds the newest",
                 st.id, st.seq, last.first, st.sender);
  }
  return Status::Ok();
}

// Keeps a child intact in the new bag, under data/children/<id>/: its
// statement, signatures, chain and bag.
Status KeepIntact(const UnpackResult& ur, const std::string& kept,
                  BundleContent* content) {
  const BundleReport& r = ur.report;
  const ft::BundleStatement& st = r.statement;
  std::string held = kept + "/" + st.id;
  XJ_RETURN_IF_ERROR(os::MakeDirectories(held + "/chain", 0700));
  std::string base = "data/children/" + st.id + "/";
  std::string statement = stick::In(held, stick::kStatement);
  XJ_RETURN_IF_ERROR(WriteNew(statement, r.statement_text));
  content->files.push_back({base + std::string(stick::kStatement), statement,
                            r.statement_text.size()});
  for (const auto& [name, text] : r.signature_files) {
    XJ_RETURN_IF_ERROR(WriteNew(held + "/" + name, text));
    content->files.push_back({base + name, held + "/" + name, text.size()});
  }
  if (r.chain_files) {
    for (const auto* list :
         {&r.chain_files->roots, &r.chain_files->certs, &r.chain_files->crls}) {
      for (const trust::SignedText& t : *list) {
        XJ_RETURN_IF_ERROR(WriteSignedText(held + "/chain", t));
        std::string n = os::BaseName(t.name);
        content->files.push_back(
            {base + "chain/" + n, held + "/chain/" + n, t.text.size()});
        for (const auto& sig : t.signatures) {
          std::string sn = os::BaseName(sig.first);
          content->files.push_back(
              {base + "chain/" + sn, held + "/chain/" + sn, sig.second.size()});
        }
      }
    }
  }
  std::vector<std::string> rel;
  XJ_RETURN_IF_ERROR(WalkFiles(ur.bag_dir, "", &rel));
  for (const std::string& f : rel) {
    std::string src = ur.bag_dir + "/" + f;
    XJ_ASSIGN_OR_RETURN(std::uint64_t size, os::FileSize(src));
    content->files.push_back({base + "bag/" + f, src, size});
  }
  content->children.push_back({r.statement_sha256, st.id});
  content->records += st.records;
  return Status::Ok();
}

// Unpacks one child into `bags` (verified down to its schools), admits it
// and keeps it intact.
Status TakeChild(const MergeRequest& req, const TrustSource& trust,
                 const std::string& sender,
                 const std::vector<std::string>& dirs, const std::string& bags,
                 const std::string& kept, Gathered* g) {
  UnpackRequest u;
  u.dirs = dirs;
  u.trust = trust;
  u.identities = req.identities;
  u.output = bags;
  u.progress = req.pack.progress;
  u.now = req.pack.now;
  Result<UnpackResult> ur = Unpack(u);
  if (!ur.ok()) return ur.status().WithContext(dirs[0]);
  const BundleReport& r = ur->report;
  const ft::BundleStatement& st = r.statement;
  XJ_RETURN_IF_ERROR(Admit(req, sender, r, g));
  g->crls.insert(g->crls.end(), ur->crls.begin(), ur->crls.end());
  g->signed_by.push_back({st, r.statement_sha256, SignedByOf(r)});
  g->signed_by.insert(g->signed_by.end(), ur->held.begin(), ur->held.end());
  // The children it holds, as its unpack checked them down to the
  // schools.
  XJ_ASSIGN_OR_RETURN(std::vector<HeldStatement> fresh,
                      req.ledger->NewHeld(ur->held));
  g->held_new.insert(g->held_new.end(), fresh.begin(), fresh.end());
  for (HeldSchool& s : ur->schools) g->result.schools.push_back(std::move(s));
  // A school's own bundle (its unpack checked its registry is the
  // school's, as many records as it says).
  if (st.children.empty()) {
    g->result.schools.push_back({st.id,
                                 st.sender,
                                 r.chain.empty() ? "" : r.chain[0],
                                 {st.id},
                                 st.records});
  }
  XJ_RETURN_IF_ERROR(CollectLeaves(ur->bag_dir, st.sender, st.id, &g->leaves));
  return KeepIntact(*ur, kept, &g->content);
}

// What only a merge can see: a registry signed by another school, and
// transfers between two schools of the merge that only one side records.
// Returns the schools.
Result<std::set<std::string>> AuditAcrossSchools(
    const std::vector<Leaf>& leaves, AuditSink& audit) {
  std::set<std::string> schools;
  std::map<std::string, std::string> registry_of;  // school code → folder
  for (const Leaf& l : leaves) {
    XJ_ASSIGN_OR_RETURN(std::string code, SchoolCode(l.registry));
    if (code != l.signer) {
      audit.Report({registry::Rule::kMergeSigner, l.bundle + "/school.csv", 2,
                    "school_code",
                    fmt::format("the registry is school {}'s, and school {} "
                                "signed it",
                                code, l.signer),
                    code, ""});
    }
    schools.insert(l.signer);
    registry_of[l.signer] = l.registry;
  }
  // Transfers between schools of this merge: each side must record it.
  std::set<std::tuple<std::string, std::string, std::string>> outs, ins;
  for (const auto& [school, registry] : registry_of) {
    if (!os::Exists(registry + "/changes.csv")) continue;
    XJ_ASSIGN_OR_RETURN(auto rows, ReadColumns(registry + "/changes.csv",
                                               {"student_no", "change_type",
                                                "from_school", "to_school"}));
    for (const auto& r : rows) {
      if (r[1] == "27" && !r[3].empty()) outs.insert({school, r[3], r[0]});
      if (r[1] == "13" && !r[2].empty()) ins.insert({r[2], school, r[0]});
    }
  }
  auto masked = [](const std::string& student) {
    return student.size() > 6 ? student.substr(0, 6) + "********"
                              : std::string("***");
  };
  for (const auto& [from, to, student] : outs) {
    if (schools.count(to) && !ins.count({from, to, student})) {
      audit.Report({registry::Rule::kMergeTransferInMissing,
                    from + "/changes.csv", 0, "student_no",
                    fmt::format("school {} records a transfer out to {}, "
                                "which records no transfer in",
                                from, to),
                    masked(student), ""});
    }
  }
  for (const auto& [from, to, student] : ins) {
    if (schools.count(from) && !outs.count({from, to, student})) {
      audit.Report({registry::Rule::kMergeTransferOutMissing,
                    to + "/changes.csv", 0, "student_no",
                    fmt::format("school {} records a transfer in from {}, "
                                "which records no transfer out",
                                to, from),
                    masked(student), ""});
    }
  }
  return schools;
}

// Offices this office certified (a certificate it issued, not expired at
// `now_eff`) that sent nothing to the merge, and the schools on the
// province's lists of the counties within its code that no bundle of the
// merge holds.
void AuditSilentOffices(const TrustStore& store, const std::string& sender,
                        const std::string& now_eff,
                        const std::vector<ft::Child>& children,
                        const std::vector<HeldSchool>& schools,
                        AuditSink& audit) {
  std::set<std::string> sent;
  for (const ft::Child& c : children) {
    sent.insert(c.id.substr(0, c.id.find('-')));
  }
  std::set<std::string> warned;
  for (const trust::SignedText& t : store.files().certs) {
    Result<ft::CertStatement> c = ft::ParseCert(t.text);
    if (!c.ok() || c->issuer != sender || c->not_after < now_eff ||
        sent.count(c->subject) || !warned.insert(c->subject).second) {
      continue;
    }
    audit.Report(
        {registry::Rule::kMergeMissing, sender, 0, "",
         fmt::format("{} ({}, {}) is certified by this office and "
                     "sent nothing",
                     c->subject, c->subject_name, ft::LevelName(c->level)),
         c->subject, ""});
  }
  std::set<std::string> held;
  for (const HeldSchool& s : schools) held.insert(s.school);
  for (const auto& [county, v] : store.school_lists()) {
    if (!county.starts_with(sender)) continue;
    for (const ft::SchoolEntry& e : v.list.schools) {
      if (held.count(e.code) || sent.count(e.code) ||
          !warned.insert(e.code).second) {
        continue;
      }
      audit.Report({registry::Rule::kMergeMissing, sender, 0, "",
                    fmt::format("{} ({}, school) is on the province's school "
                                "list of county {} and sent nothing",
                                e.code, e.name, county),
                    e.code, ""});
    }
  }
}

// Who signed each child, against what this office took in from its sender
// before: a new key, or a renewed certificate, is noted; a new certificate
// while the old one still counts is an error (whoever certified the code
// again may sign in its name).
Status AuditKeyChanges(const Ledger& ledger, const Gathered& g,
                       AuditSink& audit) {
  XJ_ASSIGN_OR_RETURN(std::vector<KeyChange> changes,
                      FindKeyChanges(ledger, g.signed_by, g.crls));
  for (const KeyChange& k : changes) {
    audit.Report({k.excused ? registry::Rule::kMergeKeyChanged
                            : registry::Rule::kMergeCertChanged,
                  k.bundle, 0, "", k.message, k.sender, ""});
  }
  return Status::Ok();
}

// data/merged/ of the new bag: the counts and the audit.
Status WriteMerged(const std::string& work, const std::string& sender,
                   std::size_t schools, AuditSink& audit, Gathered* g) {
  CountCache cache;
  XJ_ASSIGN_OR_RETURN(std::string summary, SummaryOf(g->leaves, &cache));
  std::string merged = work + "/merged";
  XJ_RETURN_IF_ERROR(os::MakeDirectories(merged, 0700));
  XJ_RETURN_IF_ERROR(WriteNew(merged + "/summary.csv", summary));
  g->content.files.push_back(
      {"data/merged/summary.csv", merged + "/summary.csv", summary.size()});
  std::string audit_json = formats::audit::Serialize(
      {sender, g->content.children.size(), schools, audit.errors,
       audit.warnings, std::move(audit.findings)});
  XJ_RETURN_IF_ERROR(WriteNew(merged + "/audit.json", audit_json));
  g->content.files.push_back(
      {"data/merged/audit.json", merged + "/audit.json", audit_json.size()});
  return Status::Ok();
}

}  // namespace

Result<MergeResult> Merge(const MergeRequest& req,
                          registry::FindingSink& findings) {
  const PackRequest& pr = req.pack;
  if (pr.store == nullptr || req.ledger == nullptr ||
      req.identities == nullptr || pr.data == nullptr || pr.key == nullptr) {
    return Status(Code::kInternal,
                  "merge needs the office home's store and ledger, its "
                  "identity, the schema and a signing key");
  }
  if (req.children.empty())
    return Status(Code::kInvalidArgument, "no child bundle to merge");
  XJ_RETURN_IF_ERROR(CheckPackRequest(pr, /*registry=*/false));
  std::int64_t clock = pr.now;
  XJ_RETURN_IF_ERROR(CheckSigningClock(pr.home, clock));
  XJ_ASSIGN_OR_RETURN(std::string now_eff, req.ledger->EffectiveNow(clock));
  XJ_ASSIGN_OR_RETURN(trust::TrustedOffice own,
                      pr.store->OwnCertificate({now_eff, req.strict}));
  const std::string sender = own.cert.subject;
  if (own.cert.may_certify.empty()) {
    return Error(Code::kRejected,
                 "{} certifies no one, so it has no children to merge", sender);
  }
  if (pr.recipient.code == sender ||
      std::any_of(pr.copy_to.begin(), pr.copy_to.end(),
                  [&](const Addressee& a) { return a.code == sender; })) {
    return Error(Code::kInvalidArgument,
                 "office {} cannot address a bundle to itself", sender);
  }
  XJ_ASSIGN_OR_RETURN(std::string work, MakeWorkDir(pr.home));
  struct Cleanup {
    std::string dir;
    ~Cleanup() { RemoveTree(dir); }
  } cleanup{work};
  std::string bags = work + "/bags", kept = work + "/held";
  XJ_RETURN_IF_ERROR(os::MakeDirectories(bags, 0700));
  XJ_RETURN_IF_ERROR(os::MakeDirectories(kept, 0700));

  // 1. The children: one per sender, each verified down to its schools,
  //    admitted to its stream and kept intact.
  XJ_RETURN_IF_ERROR(OnePerSender(req.children));
  TrustSource trust;
  trust.store = pr.store;
  trust.strict = req.strict;
  trust.now = now_eff;
  Gathered g;
  g.content.sender = sender;
  for (const std::vector<std::string>& dirs : req.children) {
    XJ_RETURN_IF_ERROR(TakeChild(req, trust, sender, dirs, bags, kept, &g));
  }
  // A school once, whichever child holds it.
  XJ_RETURN_IF_ERROR(CheckSchoolsOnce(g.result.schools, "this merge"));

  // 2. The audit: every school against the schema and each other, then
  //    what only a merge can see.
  AuditSink audit(&findings);
  registry::CheckOptions co;
  co.dir = bags;
  XJ_ASSIGN_OR_RETURN(registry::CheckTotals totals,
                      registry::CheckRegistry(*pr.data, co, audit));
  XJ_ASSIGN_OR_RETURN(std::set<std::string> schools,
                      AuditAcrossSchools(g.leaves, audit));
  AuditSilentOffices(*pr.store, sender, now_eff, g.content.children,
                     g.result.schools, audit);
  XJ_RETURN_IF_ERROR(AuditKeyChanges(*req.ledger, g, audit));
  g.result.errors = audit.errors;
  g.result.warnings = audit.warnings;
  if (req.strict && audit.errors > 0) {
    return Error(Code::kRejected,
                 "the cross-school audit found {} error(s); nothing was merged "
                 "(a strict merge)",
                 audit.errors);
  }

  // 3. The new bundle: the children, the counts and the audit, packed.
  XJ_RETURN_IF_ERROR(WriteMerged(work, sender, schools.size(), audit, &g));
  g.content.audit = audit.Summary();
  g.content.totals = totals;
  g.content.totals.errors = audit.errors;
  g.content.totals.warnings = audit.warnings;
  PackRequest p = pr;
  p.kind = g.kind;
  p.trusted_now = now_eff;
  MergeResult result = std::move(g.result);
  XJ_ASSIGN_OR_RETURN(result.pack, PackContent(p, std::move(g.content)));

  // 4. The children are accepted with the merge that holds them, and what
  //    they hold in turn: one transaction.
  std::vector<AcceptedBundle> all;
  for (const HeldStatement& h : g.held_new) {
    all.push_back(AcceptedFrom(h, "held in " + result.pack.statement.id));
    all.back().taken_as = "held";
  }
  for (const BundleReport& r : g.accepted) {
    all.push_back(AcceptedFrom(r.statement, r.statement_sha256,
                               fmt::format("{}, merged into {}", Signers(r),
                                           result.pack.statement.id)));
    all.back().by = SignedByOf(r);
  }
  XJ_RETURN_IF_ERROR(req.ledger->AcceptAll(all, clock));
  // The revocation lists their chains carried are kept, as an unpack
  // keeps them: the office's next bundles carry what is above it.
  Result<std::vector<std::string>> crls_kept =
      KeepVerifiedCrls(pr.store->home(), g.crls);
  if (crls_kept.ok()) {
    result.learned = std::move(crls_kept).value();
  } else {
    result.learned_error = crls_kept.status().message();
  }
  return result;
}

}  // namespace xj::pack
