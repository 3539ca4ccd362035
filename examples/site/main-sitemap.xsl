<?xml version="1.0" encoding="UTF-8"?>
<!-- Renders the XML sitemaps as a readable table in a browser (hand-written stand-in for Yoast's
     main-sitemap.xsl). Crawlers ignore it. -->
<xsl:stylesheet version="1.0"
	xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
	xmlns:sitemap="http://www.sitemaps.org/schemas/sitemap/0.9"
	xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"
	xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<xsl:output method="html" version="1.0" encoding="UTF-8" indent="yes"/>
<xsl:template match="/">
<html lang="en">
<head>
<title>XML Sitemap</title>
<style>
body { font: 14px/1.5 Arial, Helvetica, sans-serif; color: #333; margin: 24px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #ddd; }
th { background: #1f4d36; color: #fff; }
</style>
</head>
<body>
<h1>XML Sitemap</h1>
<p>This XML sitemap is meant for search engines and archiving tools.</p>
<xsl:if test="count(sitemap:sitemapindex/sitemap:sitemap) &gt; 0">
<table>
<tr><th>Sitemap</th><th>Last modified</th></tr>
<xsl:for-each select="sitemap:sitemapindex/sitemap:sitemap">
<tr>
<td><a href="{sitemap:loc}"><xsl:value-of select="sitemap:loc"/></a></td>
<td><xsl:value-of select="sitemap:lastmod"/></td>
</tr>
</xsl:for-each>
</table>
</xsl:if>
<xsl:if test="count(sitemap:urlset/sitemap:url) &gt; 0">
<p>This sitemap contains <xsl:value-of select="count(sitemap:urlset/sitemap:url)"/> URLs.</p>
<table>
<tr><th>URL</th><th>Images</th><th>Last modified</th></tr>
<xsl:for-each select="sitemap:urlset/sitemap:url">
<tr>
<td><a href="{sitemap:loc}"><xsl:value-of select="sitemap:loc"/></a></td>
<td><xsl:value-of select="count(image:image)"/></td>
<td><xsl:value-of select="sitemap:lastmod | news:news/news:publication_date"/></td>
</tr>
</xsl:for-each>
</table>
</xsl:if>
</body>
</html>
</xsl:template>
</xsl:stylesheet>
