import json
import threading

from rasa_hybrid.llm.audit import AuditLog, read_audit_log


def test_records_are_appended_as_json_lines(tmp_path):
    log = AuditLog(tmp_path / "sub" / "audit.jsonl")
    log.append({"conversation_id": "c1", "prompt": [{"role": "user", "content": "é"}]})
    log.append({"conversation_id": "c2"})
    first, second = read_audit_log(log.path)
    assert first["conversation_id"] == "c1" and "time" in first
    assert first["prompt"][0]["content"] == "é"
    assert second["conversation_id"] == "c2"


def test_concurrent_writers_never_mix_lines(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    big = "x" * 20_000

    def write(n):
        for i in range(50):
            log.append({"writer": n, "i": i, "payload": big})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = log.path.read_text().splitlines()
    assert len(lines) == 200
    assert all(json.loads(line)["payload"] == big for line in lines)


def test_off_writes_nothing_and_a_bad_path_does_not_raise(tmp_path):
    AuditLog(None).append({"a": 1})
    blocker = tmp_path / "file"
    blocker.write_text("")
    AuditLog(blocker / "audit.jsonl").append(
        {"a": 1}
    )  # a file where a folder should be
    assert read_audit_log(tmp_path / "missing.jsonl") == []
