"""Synthetic Japanese contact-centre calls for benchmarks: combinatorial, never two alike.

Every call is assembled from fragment tables (openings, products, problems, complaints, urgency,
apologies, confirmations, supervisor hand-offs, closings) filled with random names, order numbers,
amounts, dates and times, so no two calls (and almost no two turns) repeat: a cache keyed on text
cannot flatter the throughput. 10-20 turns per call; some calls escalate to a supervisor.

    python benchmarks/corpus.py --calls 5000 -o /tmp/corpus.jsonl
"""
from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

JST = timezone(timedelta(hours=9))

SURNAMES = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田", "佐々木",
            "山口", "松本", "井上", "木村", "林", "斎藤", "清水", "山崎", "森", "池田", "橋本", "阿部", "石川",
            "前田", "藤田", "小川", "岡田", "後藤", "長谷川", "村上", "近藤", "石井", "坂本", "遠藤", "青木"]
GIVEN = ["太郎", "花子", "健一", "美香", "翔太", "由美", "大輔", "恵子", "直樹", "真由美", "拓也", "裕子",
         "誠", "明美", "浩二", "陽子", "亮", "智子", "達也", "久美子"]
COMPANIES = ["ミドリ電機", "あおば通販", "サクラ保険", "ひかり通信", "コトブキ家電", "はるかぜ銀行", "つばさ航空",
             "やまびこガス", "しらさぎ不動産", "いろどり化粧品", "ほしぞらモバイル", "かえで生命"]
CENTRES = ["カスタマーセンター", "お客様相談室", "サポート窓口", "コールセンター", "ご契約窓口"]
PRODUCTS = [("冷蔵庫", "台"), ("洗濯機", "台"), ("ノートパソコン", "台"), ("掃除機", "台"), ("エアコン", "台"),
            ("電子レンジ", "台"), ("スマートフォン", "台"), ("プリンター", "台"), ("ソファ", "点"), ("布団セット", "組"),
            ("ワイヤレスイヤホン", "個"), ("炊飯器", "台"), ("テレビ", "台"), ("電気ケトル", "個"), ("化粧水", "本"),
            ("ランニングシューズ", "足"), ("腕時計", "個"), ("ベビーカー", "台"), ("本棚", "点"), ("カーテン", "組")]
SERVICES = ["光回線", "携帯の料金プラン", "自動車保険", "電気の契約", "ガスの契約", "定期便", "クレジットカード",
            "インターネットバンキング", "動画配信サービス", "年間保守契約"]
PLACES = ["自宅", "実家", "会社", "店舗", "駅前の店", "マンションの管理室", "宅配ボックス", "コンビニ"]
CITIES = ["札幌市", "仙台市", "さいたま市", "千葉市", "横浜市", "川崎市", "新潟市", "静岡市", "名古屋市", "京都市",
          "大阪市", "神戸市", "岡山市", "広島市", "福岡市", "熊本市", "那覇市", "金沢市", "松山市", "高松市"]
COLOURS = ["黒", "白", "シルバー", "紺", "赤", "グレー", "ベージュ", "緑"]
WEEKDAYS = "月火水木金土日"


def _date(r: random.Random) -> str:
    m, d = r.randint(1, 12), r.randint(1, 28)
    return r.choice([f"{m}月{d}日", f"{m}月{d}日の{WEEKDAYS[(m * 31 + d) % 7]}曜日", f"先月の{d}日", f"今月{d}日"])


def _time(r: random.Random) -> str:
    h, mi = r.randint(8, 21), r.choice([0, 10, 15, 20, 30, 40, 45, 50])
    return f"{h}時{mi}分" if mi else f"{h}時"


def _money(r: random.Random) -> str:
    return f"{r.randint(3, 2400) * 10:,}円"


def _order(r: random.Random) -> str:
    return r.choice(["", "A", "B", "KS-", "NO."]) + str(r.randint(10_000_000, 99_999_999))


def _phone(r: random.Random) -> str:
    return f"0{r.randint(3, 99)}-{r.randint(100, 9999)}-{r.randint(1000, 9999)}"


FILLERS = ["", "", "あの、", "えーと、", "はい、", "そうですね、", "ええ、", "あのですね、", "まあ、", "すみません、",
           "ちょっと、", "それで、", "えっと、"]


def _tail(r: random.Random, who: str) -> str:
    """A short sentence with numbers, so that even a stock phrase rarely repeats."""
    if who == "customer":
        return r.choice([f"今{r.randint(1, 59)}分くらい待ってました。", f"{_date(r)}から困ってるんです。",
                         f"{r.randint(2, 9)}回目なんですよ。", f"{_time(r)}には出かけるので。", ""])
    return r.choice([f"ただいま{_time(r)}でございます。", f"受付番号は{r.randint(1000, 99999)}です。",
                     f"{r.randint(2, 15)}分ほどお時間をいただきます。", ""])


class CallMaker:
    def __init__(self, seed: int = 0):
        self.r = random.Random(seed)

    def call(self, n: int) -> dict:
        r = self.r
        company, centre = r.choice(COMPANIES), r.choice(CENTRES)
        agent = r.choice(SURNAMES)
        cust = r.choice(SURNAMES) + r.choice(GIVEN)
        prod, counter = r.choice(PRODUCTS)
        service = r.choice(SERVICES)
        colour = r.choice(COLOURS)
        order, money, date, date2 = _order(r), _money(r), _date(r), _date(r)
        qty = r.randint(1, 5)
        anger = r.choice([0, 0, 1, 1, 2, 3])
        urgent = r.random() < 0.4
        sup = anger >= 2 and r.random() < 0.6
        turns: list[tuple[str, str]] = []
        A = lambda t: turns.append(("agent", t))  # noqa: E731
        C = lambda t: turns.append(("customer", t))  # noqa: E731
        A(r.choice([f"お電話ありがとうございます。{company}{centre}、{agent}でございます。",
                    f"はい、{company}{centre}の{agent}が承ります。",
                    f"お待たせいたしました。{company}、{centre}担当の{agent}です。"]))
        C(r.choice([f"もしもし、{date}に{prod}を{qty}{counter}注文した{cust}ですけど。",
                    f"あの、{service}のことでお聞きしたいんですが。{cust}と申します。",
                    f"{cust}です。{date}に届くはずの{prod}の件で電話しました。",
                    f"すみません、注文番号{order}の件なんですけれども。"]))
        A(r.choice(["ご連絡ありがとうございます。ご本人確認のため、ご登録のお電話番号をお願いいたします。",
                    "恐れ入りますが、ご注文番号かお電話番号をお伺いできますでしょうか。",
                    "承知いたしました。お客様のお名前とご住所を確認させていただけますか。"]))
        C(r.choice([f"電話番号は{_phone(r)}です。", f"番号は{order}です。住所は{r.choice(CITIES)}です。",
                    f"{r.choice(CITIES)}の{cust}です。電話は{_phone(r)}。"]))
        A(r.choice([f"確認いたしました。{date}にご注文いただいた{colour}の{prod}、{money}のものでお間違いないでしょうか。",
                    f"ありがとうございます。{service}のご契約で、{date}からご利用いただいておりますね。",
                    f"{cust}様ですね。ご注文番号{order}、{prod}{qty}{counter}で承っております。"]))
        problems = [
            f"それが、{date2}になってもまだ届かないんです。追跡を見ても{r.choice(PLACES)}で止まったままで。",
            f"届いた{prod}が{r.choice(COLOURS)}で、頼んだ色と違うんですよ。",
            f"使い始めて{r.randint(2, 40)}日で電源が入らなくなりました。",
            f"請求が{money}になっていて、聞いていた金額より{r.randint(2, 90) * 100}円も高いんです。",
            f"{date2}の{_time(r)}に来てもらう約束だったのに、誰も来ませんでした。",
            f"解約したはずの{service}の料金が、{r.randint(2, 6)}か月も引き落とされています。",
            f"箱を開けたら{prod}に傷があって、部品も{r.randint(1, 3)}つ足りませんでした。",
        ]
        C(r.choice(problems))
        A(r.choice(["大変ご不便をおかけしております。すぐに状況を確認いたします。",
                    "さようでございましたか。申し訳ございません。詳しくお伺いしてもよろしいでしょうか。",
                    "ご迷惑をおかけして誠に申し訳ございません。少々お待ちいただけますでしょうか。"]))
        complaints = {
            0: [f"そうですか。じゃあ確認してもらえますか。", f"はい、{_time(r)}ごろまでなら待てます。",
                "わかりました。どうしたらいいですか。"],
            1: [f"前にも{r.randint(2, 4)}回電話してるんですけどね。ちょっと困ってるんですよ。",
                "なんでこうなるのか、説明してもらえませんか。正直がっかりです。",
                f"{date2}にも問い合わせたのに、何も連絡がなかったんですよ。"],
            2: [f"いい加減にしてくださいよ。もう{r.randint(3, 6)}回目ですよ、電話するの。",
                "そちらのミスでしょう。どう責任を取るつもりなんですか。",
                f"こっちは{r.randint(2, 5)}時間も待たされてるんですよ。ふざけないでください。"],
            3: ["話にならない。上の人を出してください。今すぐです。",
                f"もう消費者センターに相談します。{money}返してもらいますからね。",
                "何回同じことを言わせるんだ。責任者を出せと言ってるんだよ。"],
        }
        urgency = [f"{date2}までにどうしても必要なんです。", f"明日の{_time(r)}には使わないといけないんです。",
                   "子どもが熱を出していて、今日中に何とかしてほしいんです。", "仕事で使うので、急ぎでお願いします。"]
        n_turns = r.randint(10, 20)
        level = 0
        while len(turns) < n_turns - 3:
            level = min(anger, level + (r.random() < 0.6))
            text = r.choice(complaints[level])
            if urgent and r.random() < 0.5:
                text += r.choice(urgency)
            C(text)
            if sup and level >= 2 and not any(s == "supervisor" for s, _ in turns) and r.random() < 0.5:
                A("大変申し訳ございません。責任者に代わりますので、少々お待ちください。")
                turns.append(("supervisor", r.choice([
                    f"お電話代わりました。責任者の{r.choice(SURNAMES)}でございます。お待たせして申し訳ございません。",
                    f"{r.choice(SURNAMES)}と申します。この度はご迷惑をおかけし、誠に申し訳ございません。"])))
                continue
            speaker = "supervisor" if any(s == "supervisor" for s, _ in turns) else "agent"
            turns.append((speaker, r.choice([
                f"確認いたしましたところ、{r.choice(PLACES)}で保管されておりました。{date2}にお届けいたします。",
                f"{money}のうち、差額の{r.randint(1, 50) * 100}円を{date2}までにご返金いたします。",
                f"担当部署に確認し、{_time(r)}までに折り返しご連絡いたします。",
                f"代わりの{prod}を{r.randint(1, 5)}日以内に発送いたします。お手数ですが、お手元の品はそのままお待ちください。",
                "おっしゃる通りでございます。こちらの確認不足でございました。",
                f"{cust}様のお気持ちはごもっともです。{r.randint(2, 3)}点確認させてください。"])))
        C(r.choice(["わかりました。じゃあそれでお願いします。", "本当にちゃんとやってくださいね。",
                    f"{_time(r)}までに連絡がなかったら、また電話しますから。", "はい、お願いします。"]))
        A(r.choice([f"承知いたしました。{cust}様、本日は{agent}が承りました。",
                    "ご不便をおかけして申し訳ございませんでした。お電話ありがとうございました。",
                    f"確かに承りました。何かございましたら{_phone(r)}までご連絡ください。"]))
        C(r.choice(["はい、失礼します。", "よろしくお願いします。", "どうも。"]))
        t = 0.0
        out = []
        for spk, text in turns:
            if r.random() < 0.85:
                text = r.choice(FILLERS) + text + _tail(r, spk)
            start = round(t + r.uniform(0.2, 1.5), 1)
            end = round(start + len(text) * r.uniform(0.12, 0.2), 1)
            out.append({"speaker": spk, "text": text, "start": start, "end": end})
            t = end
        received = datetime(2026, 1, 1, tzinfo=JST) + timedelta(minutes=r.randint(0, 525_000))
        return {"call_id": f"BENCH-{n:06d}", "received_at": received.isoformat(), "turns": out}


def calls(n: int, seed: int = 0) -> Iterator[dict]:
    mk = CallMaker(seed)
    for i in range(n):
        yield mk.call(i)


def write_corpus(path: str, n: int, seed: int = 0) -> tuple[int, int]:
    """Write ``n`` calls as JSONL; return (calls, characters of turn text)."""
    chars = 0
    with open(path, "w", encoding="utf-8") as fh:
        for c in calls(n, seed):
            chars += sum(len(t["text"]) for t in c["turns"])
            fh.write(json.dumps(c, ensure_ascii=False) + "\n")
    return n, chars


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--out", required=True)
    a = ap.parse_args()
    n, chars = write_corpus(a.out, a.calls, a.seed)
    print(f"{n} calls, {chars} characters -> {a.out}")


if __name__ == "__main__":
    main()
