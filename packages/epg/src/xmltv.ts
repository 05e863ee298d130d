// What wraps every guide the proxy writes: the XML declaration, the DTD, the <tv> element.

export const XMLTV_HEADER =
  '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE tv SYSTEM "xmltv.dtd">\n<tv generator-info-name="acestream-proxy">\n';

export const XMLTV_FOOTER = '</tv>\n';
