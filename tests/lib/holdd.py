# holdd.py ADDR PORT [late]: a TCP server that keeps every connection
# open past the client's end of stream, reading and dropping what comes
# (a server that waits out an idle timeout).  With "late", it answers
# each one 2.5 s after the client's end of stream, then closes.
import socket, sys, threading, time

late = sys.argv[3:] == ["late"]


def answer_late(c):
    while c.recv(4096):
        pass
    time.sleep(2.5)
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nlate")
    c.close()


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((sys.argv[1], int(sys.argv[2])))
srv.listen(64)
held = []
while True:
    c, _ = srv.accept()
    if late:
        threading.Thread(target=answer_late, args=(c,), daemon=True).start()
    else:
        held.append(c)  # never closed, never answered
