"""Retake the screenshots of docs/PUBLISHING.md in a real browser: headless Chromium driven over
the Chrome DevTools Protocol against a JupyterLab on this machine. Opens notebooks/publish.ipynb,
chooses Run → Run All Cells, waits for the links, opens the PDF; saves 64-colour PNGs.

    .venv/bin/jupyter lab --no-browser --ip=127.0.0.1 --port=18731 --ServerApp.token='' \
        --LabApp.expose_app_in_browser=True [--allow-root] &
    .venv/bin/python tools/publishing_screenshots.py http://127.0.0.1:18731 /tmp/shots \
        reports/draft/papi-provinces/2016/vi/report.pdf
    # then copy /tmp/shots/*.png to docs/img/publishing-*.png; reset notebooks/publish.ipynb
"""
import base64, json, subprocess, sys, time, urllib.request
import websocket

LAB = sys.argv[1]          # http://127.0.0.1:PORT
OUT = sys.argv[2]          # folder for PNGs
REPORT = sys.argv[3]       # path of the draft pdf relative to repo root (opened in lab)
port = 9333
chrome = subprocess.Popen(["/usr/bin/chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
                           f"--remote-debugging-port={port}", "--window-size=1200,780",
                           "--hide-scrollbars", "--lang=vi", "about:blank"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(50):
        try:
            tabs = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json"))
            break
        except Exception:
            time.sleep(0.3)
    page = next(t for t in tabs if t["type"] == "page")
    ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=300, suppress_origin=True)
    n = [0]

    def call(method, **params):
        n[0] += 1
        ws.send(json.dumps({"id": n[0], "method": method, "params": params}))
        while True:
            msg = json.loads(ws.recv())
            if msg.get("id") == n[0]:
                return msg.get("result", msg)

    def js(expr):
        r = call("Runtime.evaluate", expression=expr, awaitPromise=True, returnByValue=True)
        return r.get("result", {}).get("value")

    def wait(expr, timeout=240):
        end = time.time() + timeout
        while time.time() < end:
            if js(expr):
                return True
            time.sleep(1)
        raise TimeoutError(expr)

    def shot(name):
        time.sleep(1.5)
        data = call("Page.captureScreenshot", format="png")["data"]
        open(f"{OUT}/{name}.png", "wb").write(base64.b64decode(data))
        from PIL import Image   # a small file: 64-colour palette
        Image.open(f"{OUT}/{name}.png").convert("RGB").quantize(64).save(f"{OUT}/{name}.png", optimize=True)
        print("shot", name)

    call("Page.enable")
    call("Emulation.setDeviceMetricsOverride", width=1200, height=780, deviceScaleFactor=1, mobile=False)
    call("Page.navigate", url=f"{LAB}/lab/tree/notebooks/publish.ipynb")
    wait("!!(window.jupyterapp && document.querySelector('.jp-Notebook .jp-Cell'))")
    wait("document.querySelector('.jp-Notebook-ExecutionIndicator, .jp-Toolbar-kernelStatus, .jp-KernelStatus') !== null", 30)
    time.sleep(6)   # kernel starts
    js("[...document.querySelectorAll('button')].find(b => b.textContent.trim() === 'No')?.click()")
    time.sleep(1)
    shot("01-open-publish-notebook")

    def click(x, y, kind="mouse"):
        for event in ("mouseMoved", "mousePressed", "mouseReleased"):
            call("Input.dispatchMouseEvent", type=event, x=x, y=y, button="left", clickCount=1)

    def centre(selector_js):
        return js(f"(() => {{ const e = {selector_js}; if (!e) return null; const r = e.getBoundingClientRect();"
                  " return [r.x + r.width / 2, r.y + r.height / 2]; })()")

    x, y = centre("[...document.querySelectorAll('.lm-MenuBar-itemLabel')].find(e => e.textContent.trim() === 'Run')")
    click(x, y)
    time.sleep(1)
    item = centre("[...document.querySelectorAll('.lm-Menu-itemLabel')].find(e => e.textContent.trim() === 'Run All Cells')")
    call("Input.dispatchMouseEvent", type="mouseMoved", x=item[0], y=item[1])
    time.sleep(0.5)
    shot("02-run-all-cells")
    click(item[0], item[1])
    time.sleep(1)
    time.sleep(3)
    wait("(() => { const p = [...document.querySelectorAll('.jp-InputPrompt')].map(e => e.textContent);"
         " return p.length > 0 && p.every(t => !t.includes('*')) && document.querySelectorAll('.jp-OutputArea-output a[href*=\"report\"]').length > 0; })()", 600)
    js("window.jupyterapp.commands.execute('notebook:move-cursor-down'); document.querySelector('.jp-WindowedPanel-outer, .jp-Notebook').scrollTop = 1e6")
    time.sleep(1)
    shot("03-links-to-the-publication")
    js(f"window.jupyterapp.commands.execute('docmanager:open', {{path: '{REPORT}'}})")
    time.sleep(8)
    shot("04-the-pdf-in-jupyterlab")
    ws.close()
finally:
    chrome.terminate()
